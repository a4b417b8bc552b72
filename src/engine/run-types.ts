import type { IdRange } from '../clients/commercetools/keyset-pages';

export const importTypes = ['customers', 'orders', 'categories', 'products'] as const;
export type ImportType = (typeof importTypes)[number];

/** What a start request asked for, once checked. */
export type RunRequest =
  | { mode: 'all' }
  | {
      mode: 'ids';
      ids: string[];
      /** The run whose failed records these are, when a `retryFailed` request was turned into this. */
      retryOf?: string;
    }
  | { mode: 'startId'; startId: string }
  | { mode: 'resume' }
  /** The records an earlier run (`run`: its id, or `last`) failed, imported again by their ids. */
  | { mode: 'retryFailed'; run: string }
  | { mode: 'deleteAll' };

export type RunMode = RunRequest['mode'];

export type RunState = 'running' | 'stopping' | 'completed' | 'failed' | 'stopped' | 'interrupted';

export interface RunCounters {
  /** Records read from commercetools. */
  read: number;
  /** Klaviyo records (profiles, events, catalog records) Klaviyo accepted in a request or job. */
  sent: number;
  /** Klaviyo records Klaviyo reported done. */
  succeeded: number;
  /** Records that could not be imported; each is listed with its reason while the list has room. */
  failed: number;
  /** Records left out on purpose (for example an order no profile can be attributed to). */
  skipped: number;
}

export interface RecordFailure {
  id: string;
  reason: string;
}

/** `failed`: the record could not be imported; `skipped`: it was left out on purpose. */
export type FailureKind = 'failed' | 'skipped';

/** One record a run failed or skipped, as the failure store keeps it and `GET /sync/<type>/failures` lists it. */
export interface FailureEntry {
  id: string;
  kind: FailureKind;
  reason: string;
  /** Klaviyo's error code, for a record Klaviyo refused. */
  code?: string;
  /** Klaviyo's JSON pointer into the request, for a record Klaviyo refused. */
  pointer?: string;
}

/**
 * Where a run stands, saved in commercetools whenever its committed position moves. `ranges` are
 * the committed positions of the readers: every record up to `afterId` in each range is done;
 * `counters` count those records only.
 */
export interface Checkpoint {
  runId: string;
  type: ImportType;
  /**
   * The request the run was started with; `resume` continues it. A retry is saved as `retryFailed`
   * naming the run it retries: the ids are that run's stored failures, read again on resume.
   */
  request: Exclude<RunRequest, { mode: 'resume' }>;
  /** True when this run continued an earlier one's checkpoint. */
  resumed?: boolean;
  state: RunState;
  ranges: IdRange[];
  counters: RunCounters;
  /** What the importer needs to finish after a resume, such as Klaviyo jobs it had not followed yet. */
  importerState?: unknown;
  startedAt: string;
  updatedAt: string;
}
