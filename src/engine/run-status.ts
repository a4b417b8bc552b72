import type { IdRange } from '../clients/commercetools/keyset-pages';
import { isLive, type LockHolder } from './import-lock';
import type { EffectiveRequest } from './importer';
import type { TimeBounds } from '../clients/commercetools/time-bounds';
import {
  timeBoundsOf,
  type Checkpoint,
  type Completeness,
  type ImportType,
  type RecordFailure,
  type RunCounters,
  type RunMode,
  type RunState,
} from './run-types';
import { wasInterrupted, type TrackedRun } from './tracked-run';

/** What GET /sync/<type>/status answers: a run of this instance, or what commercetools holds. */
export interface RunStatus {
  type: ImportType;
  /** `unknown`: no run of this instance, and the checkpoint could not be read. */
  state: RunState | 'idle' | 'unknown';
  runId?: string;
  /**
   * `resume` for a run that continues an earlier one; `resumes` then names that one's mode.
   * `retryFailed` for a run importing the records another one failed; `retryOf` names that one.
   */
  mode?: RunMode;
  resumes?: EffectiveRequest['mode'] | 'retryFailed';
  retryOf?: string;
  /** What a `since` run was asked for: `lastRun` (then `sinceRunId` names that run) or a time. */
  since?: string;
  sinceRunId?: string;
  /** The time bounds the run reads within (`since` and `window` runs). */
  bounds?: TimeBounds;
  startedAt?: string;
  finishedAt?: string;
  elapsedSeconds?: number;
  recordsPerSecond?: number;
  counters?: RunCounters;
  /**
   * Klaviyo records sent a second time after a resume: the records of pages whose outcome was still
   * open when the run stopped. The counters count each record once; Klaviyo updates a profile or
   * catalog record sent twice, and dedupes events by their unique id.
   */
  resent?: number;
  /**
   * How many records the run reads in all (to compare with `counters.read`), as commercetools
   * counted them at its start; absent when they could not be counted in time.
   */
  total?: number;
  /**
   * In a final state: `read = confirmed + failed + skipped + unaccounted`, in commercetools records
   * of the type. `sent` counts Klaviyo records (profiles, events, catalog categories, catalog items
   * and variants). A customer or category is confirmed by the count of Klaviyo's finished job; an
   * order once Klaviyo accepted all its events; a product once the jobs of its item and variants
   * finished without refusing them. `why` names what is known about the unaccounted. Not for a deletion.
   */
  completeness?: Completeness;
  lastProcessedId?: string;
  positions?: IdRange[];
  recentFailures?: RecordFailure[];
  recentSkips?: RecordFailure[];
  /** Failures and skips the run could not store in commercetools (the failures endpoint lacks them). */
  failuresNotStored?: number;
  error?: string;
  /** What the run could not do as it ended: save its final checkpoint, release its lock, wind down. */
  warnings?: string[];
  /** The instance running this import, when it is another one. */
  runningOn?: string;
  lock?: Record<string, unknown>;
  /** What could not be read from commercetools in time for this answer, and why. */
  unavailable?: Array<'lock' | 'checkpoint'>;
  unavailableReason?: string;
}

/**
 * The state a checkpoint stands for: a run that was going when it was saved is still running when
 * its live lock names it, and interrupted when the lock shows it is not (when the lock could not be
 * read, the saved state is all there is).
 */
export function stateOfCheckpoint(checkpoint: Checkpoint, heldByItsRun: boolean, lockKnown: boolean): RunState {
  if (!wasInterrupted(checkpoint.state)) return checkpoint.state;
  if (heldByItsRun) return checkpoint.state === 'stopping' ? 'stopping' : 'running';
  return lockKnown ? 'interrupted' : checkpoint.state;
}

/**
 * The mode a status shows, with its bounds: a resumed run names the mode it continues, and a retry
 * (saved as `retryFailed`, run as a list of ids) the run it retries.
 */
export function modeOf(
  request: Checkpoint['request'],
  resumed: boolean,
): Pick<RunStatus, 'mode' | 'resumes' | 'retryOf' | 'since' | 'sinceRunId' | 'bounds'> {
  const retryOf = request.mode === 'retryFailed' ? request.run : request.mode === 'ids' ? request.retryOf : undefined;
  const retry = retryOf === undefined ? undefined : { retryOf };
  const mode = retry ? 'retryFailed' : request.mode;
  const bounds = Object.fromEntries(
    Object.entries(request.mode === 'retryFailed' ? {} : timeBoundsOf(request)).filter(
      ([, value]) => value !== undefined,
    ),
  ) as TimeBounds;
  return {
    ...(resumed ? { mode: 'resume', resumes: mode } : { mode }),
    ...retry,
    ...(request.mode === 'since' ? { since: request.since } : {}),
    ...(request.mode === 'since' && request.afterRunId ? { sinceRunId: request.afterRunId } : {}),
    ...(Object.keys(bounds).length > 0 ? { bounds } : {}),
  };
}

/** The status of a run of this instance (a dry run too), as it stands at `now`. */
export function runSnapshot(
  run: Pick<TrackedRun, 'context' | 'resumed' | 'state' | 'startedAt' | 'finishedAt' | 'error' | 'warnings'> &
    Partial<Pick<TrackedRun, 'resent' | 'total' | 'completeness' | 'failures'>>,
  now: Date,
): RunStatus {
  const { context } = run;
  const end = run.finishedAt ?? now;
  const elapsedSeconds = Math.max(0, (end.getTime() - run.startedAt.getTime()) / 1000);
  return {
    type: context.type,
    state: run.state,
    runId: context.runId,
    ...modeOf(context.request, run.resumed),
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString(),
    elapsedSeconds: Math.round(elapsedSeconds * 10) / 10,
    recordsPerSecond: elapsedSeconds > 0 ? Math.round(context.progress.counters.sent / elapsedSeconds) : 0,
    counters: { ...context.progress.counters },
    ...(run.resent ? { resent: run.resent } : {}),
    ...(run.total !== undefined ? { total: run.total } : {}),
    ...(run.completeness && run.finishedAt ? { completeness: run.completeness } : {}),
    lastProcessedId: context.progress.lastProcessedId,
    positions: context.tracker.positions(),
    recentFailures: [...context.progress.recentFailures],
    recentSkips: [...context.progress.recentSkips],
    ...(run.failures && run.failures.unstored > 0 ? { failuresNotStored: run.failures.unstored } : {}),
    error: run.error,
    ...(run.warnings.length > 0 ? { warnings: [...run.warnings] } : {}),
  };
}

/** The lock as a status shows it: who holds it until when, or that the original module set it. */
export function lockInStatus(holder: LockHolder, now: Date): Record<string, unknown> {
  if (holder.kind === 'legacy') {
    return {
      legacy: true,
      note: 'set by the original module; it never expires, clear it with DELETE /sync/<type>/lock',
    };
  }
  const { owner, runId, startedAt, expiresAt } = holder.value;
  return { owner, runId, startedAt, expiresAt, live: isLive(holder, now) };
}
