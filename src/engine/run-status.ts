import type { IdRange } from '../clients/commercetools/keyset-pages';
import { isLive, type LockHolder } from './import-lock';
import type { EffectiveRequest } from './importer';
import type { Checkpoint, ImportType, RecordFailure, RunCounters, RunMode, RunState } from './run-types';
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
  startedAt?: string;
  finishedAt?: string;
  elapsedSeconds?: number;
  recordsPerSecond?: number;
  counters?: RunCounters;
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

/** The mode a status shows: a resumed run names the mode it continues. */
export function modeOf(
  request: Checkpoint['request'],
  resumed: boolean,
): Pick<RunStatus, 'mode' | 'resumes' | 'retryOf'> {
  const retryOf = request.mode === 'retryFailed' ? request.run : request.mode === 'ids' ? request.retryOf : undefined;
  const retry = retryOf === undefined ? undefined : { retryOf };
  const mode = retry ? 'retryFailed' : request.mode;
  return { ...(resumed ? { mode: 'resume', resumes: mode } : { mode }), ...retry };
}

/** The status of a run of this instance, as it stands at `now`. */
export function runSnapshot(run: TrackedRun, now: Date): RunStatus {
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
    lastProcessedId: context.progress.lastProcessedId,
    positions: context.tracker.positions(),
    recentFailures: [...context.progress.recentFailures],
    recentSkips: [...context.progress.recentSkips],
    ...(run.failures.unstored > 0 ? { failuresNotStored: run.failures.unstored } : {}),
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
