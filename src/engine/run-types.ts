import type { IdRange } from '../clients/commercetools/keyset-pages';

export const importTypes = ['customers', 'orders', 'categories', 'products'] as const;
export type ImportType = (typeof importTypes)[number];

/** What a start request asked for, once checked. */
export type RunRequest =
  | { mode: 'all' }
  | { mode: 'ids'; ids: string[] }
  | { mode: 'startId'; startId: string }
  | { mode: 'resume' }
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

/**
 * How a finished run accounts for what it read: `read = confirmed + failed + skipped + unaccounted`,
 * all counted in commercetools records of the run's type (customers, orders, categories, products).
 * `sent` counts Klaviyo records (`sentUnit`), which is why it is not part of the sum.
 */
export interface Completeness {
  /** Records read from commercetools. */
  read: number;
  /** Klaviyo records sent: profiles, events, catalog categories, or catalog items and variants. */
  sent: number;
  sentUnit: 'profiles' | 'events' | 'catalog categories' | 'catalog items and variants';
  /** Records read that Klaviyo confirmed in full; `confirmedBy` says what confirms one. */
  confirmed: number;
  confirmedBy: string;
  /** Records read that failed (each with its reason in the run's failures). */
  failed: number;
  /** Requested ids commercetools does not have: failed too, but never read, so outside the sum. */
  notFound?: number;
  skipped: number;
  /** Records read that are none of the above, with why when it is known. */
  unaccounted: number;
  why?: string;
  /** The same in one line, as the log has it. */
  line: string;
}

export interface RecordFailure {
  id: string;
  reason: string;
}

/**
 * Where a run stands, saved in commercetools whenever its committed position moves. `ranges` are
 * the committed positions of the readers: every record up to `afterId` in each range is done;
 * `counters` count those records only.
 */
export interface Checkpoint {
  runId: string;
  type: ImportType;
  /** The request the run was started with; `resume` continues it. */
  request: Exclude<RunRequest, { mode: 'resume' }>;
  /** True when this run continued an earlier one's checkpoint. */
  resumed?: boolean;
  state: RunState;
  ranges: IdRange[];
  counters: RunCounters;
  /** Requested ids commercetools does not have, among `counters.failed`; absent when none. */
  notFound?: number;
  /** What the importer needs to finish after a resume, such as Klaviyo jobs it had not followed yet. */
  importerState?: unknown;
  /** Written with the final checkpoint. */
  completeness?: Completeness;
  startedAt: string;
  updatedAt: string;
}
