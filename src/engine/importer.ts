import type { IdRange } from '../clients/commercetools/keyset-pages';
import type { Logger } from '../logging/logger';
import type { CommitTracker } from './checkpoints';
import type { RunProgress } from './run-progress';
import type { ImportType, RunRequest } from './run-types';

/**
 * A started request: `resume` has been turned back into the request it continues, `retryFailed`
 * into the ids of the failed records.
 */
export type EffectiveRequest = Exclude<RunRequest, { mode: 'resume' | 'retryFailed' }>;

/** What the engine hands an importer for one run. */
export interface ImportRun {
  readonly runId: string;
  readonly type: ImportType;
  readonly request: EffectiveRequest;
  /** Where each reader starts: fresh ranges, or the committed positions of a resumed run. */
  readonly ranges: IdRange[];
  readonly tracker: CommitTracker;
  /**
   * Counts of a page's records name its ticket (`progress.failed(id, reason, ticket)`): they reach
   * the checkpoint when the page commits, so a resume that reads the page again counts them once.
   */
  readonly progress: RunProgress;
  /** Aborts on stop and shutdown: finish the requests in flight, start no new ones. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Saved with every checkpoint and handed back on resume; the importer owns its shape. */
  importerState?: unknown;
}

/** One importer per resource: reads commercetools, maps, sends to Klaviyo. */
export interface Importer {
  readonly type: ImportType;
  /** The readers' starting ranges for a fresh run of this request. */
  initialRanges(request: EffectiveRequest): IdRange[];
  /** Imports the records of `run.ranges`; resolves once every page read is settled or the run is aborted. */
  importRecords(run: ImportRun): Promise<void>;
}
