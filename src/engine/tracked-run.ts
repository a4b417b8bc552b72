import type { FailureRecorder } from './failure-store';
import type { HeldLock } from './import-lock';
import type { ImportRun } from './importer';
import type { Completeness, RunState } from './run-types';

/** What the engine keeps about a run it started, beside what the importer gets (`context`). */
export interface TrackedRun {
  /** What the importer got: id, type, request, progress and commit tracker of the run. */
  context: ImportRun;
  lock: HeldLock;
  /** Continues an earlier run's checkpoint. */
  resumed: boolean;
  /** Klaviyo records sent again because a resume re-read pages whose outcome was open at the stop. */
  resent: number;
  state: RunState;
  startedAt: Date;
  /** Set together with the end state, never before. */
  finishedAt?: Date;
  controller: AbortController;
  /** Why the run was aborted: a user's stop, the process shutting down, or another run taking the lock. */
  abortReason?: 'stop' | 'shutdown' | 'lock lost';
  /** Another run holds the lock: this one writes nothing more, neither checkpoint nor release. */
  lockLost: boolean;
  /** The version of the checkpoint this run wrote last; undefined until its first write. */
  checkpointVersion?: number;
  /** How many records the run reads, once counted (see `JobEngineOptions.countRecords`). */
  total?: number;
  error?: string;
  /** How the run accounts for what it read; set as it ends. */
  completeness?: Completeness;
  warnings: string[];
  /** Where the run's failures and skips are kept. */
  failures: FailureRecorder;
  done: Promise<void>;
}

/** A run still going (or winding down after a stop): it holds the lock and writes checkpoints. */
export function isInProgress(state: RunState | undefined): boolean {
  return state === 'running' || state === 'stopping';
}

/** A saved state of a run that did not end by itself: its process died, or was shut down. */
export function wasInterrupted(state: RunState): boolean {
  return isInProgress(state) || state === 'interrupted';
}

/** How a run that did not complete ends: why it was aborted, or failed. */
export function endStateOf(run: TrackedRun): RunState {
  if (run.lockLost) return 'failed';
  if (run.abortReason === 'stop') return 'stopped';
  if (run.abortReason === 'shutdown') return 'interrupted';
  return 'failed';
}
