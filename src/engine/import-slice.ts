import type { JobEngine } from './job-engine';
import { dependencyOrder, runInSequence, type SequenceOutcome } from './run-sequence';
import type { RunStatus } from './run-status';
import type { ImportType, RunRequest } from './run-types';

const resumableStates: ReadonlySet<RunStatus['state']> = new Set(['stopped', 'failed', 'interrupted']);

/** Whether the last run of an import (as its status tells) did not complete and has a checkpoint to go on from. */
export function isResumable(lastRun: Pick<RunStatus, 'state'>): boolean {
  return resumableStates.has(lastRun.state);
}

export interface SliceOptions {
  /** The request of a new run of `type`. */
  newRun: (type: ImportType) => RunRequest;
  /** The slice stops its running import (checkpoint saved, lock released) this long after it began. */
  deadlineMs: number;
  /** Aborting it ends the slice early, the same way. */
  signal?: AbortSignal;
  onStatus?: (status: RunStatus) => void;
  pollMs?: number;
}

/**
 * One slice of work for a scheduler that gives each call limited time. A round is a run of every
 * import type in dependency order. When the last round did not finish (an import's last run
 * stopped, failed or was interrupted), the slice continues it: it resumes that import and starts
 * the ones after it, resuming any of them that did not complete either. Otherwise it starts a new
 * round with `newRun` for every type. At the deadline the running import is stopped with its
 * checkpoint saved, so the next slice resumes it where this one ended.
 */
export async function runImportSlice(
  engine: Pick<JobEngine, 'start' | 'stop' | 'status'>,
  { newRun, deadlineMs, signal, onStatus, pollMs }: SliceOptions,
): Promise<SequenceOutcome & { deadlineReached: boolean }> {
  const deadline = AbortSignal.timeout(deadlineMs);
  const resumable = new Set<ImportType>();
  for (const type of dependencyOrder) if (isResumable(await engine.status(type))) resumable.add(type);
  const unfinished = dependencyOrder.findIndex((type) => resumable.has(type));
  const outcome = await runInSequence(
    engine,
    unfinished === -1 ? dependencyOrder : dependencyOrder.slice(unfinished),
    (type) => (resumable.has(type) ? { mode: 'resume' } : newRun(type)),
    { signal: signal ? AbortSignal.any([deadline, signal]) : deadline, onStatus, pollMs },
  );
  return { ...outcome, deadlineReached: deadline.aborted };
}
