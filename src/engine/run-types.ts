import type { IdRange } from '../clients/commercetools/keyset-pages';
import type { TimeBounds } from '../clients/commercetools/time-bounds';

export const importTypes = ['customers', 'orders', 'categories', 'products'] as const;
export type ImportType = (typeof importTypes)[number];

/**
 * What a start request asked for, once checked. `since` reads the records changed since a time,
 * `window` the records created in a time window (orders and customers).
 */
export type RunRequest =
  | { mode: 'all' }
  | {
      mode: 'ids';
      ids: string[];
      /** The run whose failed records these are, when a `retryFailed` request was turned into this. */
      retryOf?: string;
    }
  | { mode: 'startId'; startId: string }
  /** `since`: `lastRun` (after the last completed run) or an ISO 8601 time in UTC. */
  | { mode: 'since'; since: string }
  | { mode: 'window'; createdFrom?: string; createdTo?: string }
  | { mode: 'resume' }
  /** The records an earlier run (`run`: its id, or `last`) failed, imported again by their ids. */
  | { mode: 'retryFailed'; run: string }
  | { mode: 'deleteAll' };

/**
 * A `since` request as the run keeps it: `modifiedFrom` is the bound it reads from (for `lastRun`,
 * the start of that run less the safety margin), fixed at the start so a resume reads the same records.
 */
export interface ResolvedSince {
  mode: 'since';
  since: string;
  modifiedFrom: string;
  /** The completed run `lastRun` named. */
  afterRunId?: string;
}

/**
 * A started request: `resume` turned back into the request it continues, `since` resolved, and
 * `retryFailed` turned into the ids of the failed records.
 */
export type StartedRequest =
  Exclude<RunRequest, { mode: 'resume' } | { mode: 'since' } | { mode: 'retryFailed' }> | ResolvedSince;

/**
 * A started request as a checkpoint keeps it: a retry is saved as `retryFailed` naming the run it
 * retries, since its ids are that run's stored failures, read again on resume.
 */
export type SavedRequest = StartedRequest | Extract<RunRequest, { mode: 'retryFailed' }>;

/** The time bounds on the records a run reads; none for modes that read everything or a list of ids. */
export function timeBoundsOf(request: StartedRequest): TimeBounds {
  if (request.mode === 'since') return { modifiedFrom: request.modifiedFrom };
  if (request.mode === 'window') return { createdFrom: request.createdFrom, createdTo: request.createdTo };
  return {};
}

/**
 * The modes whose completed run counts as "the last completed run" for `since: "lastRun"`: those
 * that bring every record changed before their start into Klaviyo (a window, a list of ids, or a
 * start id covers only some).
 */
export const completeModes: ReadonlySet<RunMode> = new Set(['all', 'since']);

/** The last completed run of a type that `since: "lastRun"` continues from; kept in commercetools. */
export interface LastCompletedRun {
  runId: string;
  type: ImportType;
  mode: RunMode;
  startedAt: string;
  finishedAt: string;
}

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
  /** The request the run was started with; `resume` continues it (see SavedRequest for a retry). */
  request: SavedRequest;
  /** True when this run continued an earlier one's checkpoint. */
  resumed?: boolean;
  state: RunState;
  ranges: IdRange[];
  counters: RunCounters;
  /**
   * Klaviyo records sent from pages not yet committed when this checkpoint was written: their
   * outcome was still open, so a resume reads those pages again and sends them again.
   */
  sentUncommitted?: number;
  /** Klaviyo records the run has sent a second time after its resumes (the sum of their `sentUncommitted`). */
  resent?: number;
  /** Requested ids commercetools does not have, among `counters.failed`; absent when none. */
  notFound?: number;
  /** What the importer needs to finish after a resume, such as Klaviyo jobs it had not followed yet. */
  importerState?: unknown;
  /** Written with the final checkpoint. */
  completeness?: Completeness;
  startedAt: string;
  updatedAt: string;
}
