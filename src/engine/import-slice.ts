import type { JobEngine } from './job-engine';
import { dependencyOrder, runInSequence, type SequenceOutcome } from './run-sequence';
import type { RunStatus } from './run-status';
import type { ImportType, RunRequest } from './run-types';

const resumableStates: ReadonlySet<RunStatus['state']> = new Set(['stopped', 'failed', 'interrupted']);

/** Whether the last run of an import (as its status tells) did not complete and has a checkpoint to go on from. */
function isResumable(lastRun: Pick<RunStatus, 'state'>): boolean {
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
 * import type in dependency order. When the last round did not finish, the slice goes on with it
 * from the first import that is not done in it: one whose last run did not complete (it is
 * resumed), never ran, or started before the last run of the import before it (the round ended
 * before reaching it). The imports after that one are resumed when their last run did not
 * complete, else started with `newRun`. When the last round finished, the slice starts a new one.
 * At the deadline the running import is stopped with its checkpoint saved, so the next slice
 * resumes it where this one ended. An incremental `newRun` of a type that never completed a run
 * runs in full instead: there is no last run to continue from yet.
 */
export async function runImportSlice(
  engine: Pick<JobEngine, 'start' | 'stop' | 'status' | 'lastCompletedRun'>,
  { newRun, deadlineMs, signal, onStatus, pollMs }: SliceOptions,
): Promise<SequenceOutcome & { deadlineReached: boolean }> {
  const deadline = AbortSignal.timeout(deadlineMs);
  const lastRuns: RunStatus[] = [];
  for (const type of dependencyOrder) lastRuns.push(await engine.status(type));
  const notDone = lastRuns.findIndex((lastRun, index) => !doneInRound(lastRun, lastRuns[index - 1]));
  const resumable = new Set(lastRuns.filter(isResumable).map((lastRun) => lastRun.type));
  const outcome = await runInSequence(
    engine,
    notDone === -1 ? dependencyOrder : dependencyOrder.slice(notDone),
    (type) => (resumable.has(type) ? { mode: 'resume' } : firstRunInFull(engine, type, newRun(type))),
    { signal: signal ? AbortSignal.any([deadline, signal]) : deadline, onStatus, pollMs },
  );
  return { ...outcome, deadlineReached: deadline.aborted };
}

/** Whether an import's last run completed in the same round as the import before it (if any). */
function doneInRound(lastRun: RunStatus, before: RunStatus | undefined): boolean {
  if (isResumable(lastRun) || lastRun.startedAt === undefined) return false;
  return before?.startedAt === undefined || Date.parse(lastRun.startedAt) >= Date.parse(before.startedAt);
}

/** `since: "lastRun"` before any completed run would be refused: the first run imports everything. */
async function firstRunInFull(
  engine: Pick<JobEngine, 'lastCompletedRun'>,
  type: ImportType,
  request: RunRequest,
): Promise<RunRequest> {
  if (request.mode !== 'since' || request.since !== 'lastRun') return request;
  return (await engine.lastCompletedRun(type)) ? request : { mode: 'all' };
}
