import type { JobEngine } from '../../../src/engine/job-engine';
import { EngineRefusal } from '../../../src/engine/refusal';
import type { RunStatus } from '../../../src/engine/run-status';
import type { ImportType, RunRequest } from '../../../src/engine/run-types';

type SliceEngine = Pick<JobEngine, 'start' | 'stop' | 'status' | 'lastCompletedRun'>;

/** When every import's last run started, unless a test says otherwise: all in one round. */
export const roundStart = '2026-11-01T00:00:00.000Z';

/**
 * An engine whose runs complete as soon as they start, but for `holds`, which run until stopped,
 * and `refuses`, whose start is refused. Before a run starts, a type's status is its `lastRuns`
 * entry (a run that completed at `roundStart` when not given), and so is its last completed run.
 */
export function scriptedEngine(
  lastRuns: Partial<Record<ImportType, Pick<RunStatus, 'state' | 'startedAt'>>>,
  { holds, refuses }: { holds?: ImportType; refuses?: ImportType } = {},
) {
  const starts: Array<{ type: ImportType; request: RunRequest }> = [];
  const runs = new Map<ImportType, { runId: string; state: RunStatus['state']; startedAt: string }>();
  const engine: SliceEngine = {
    start: async (type, request) => {
      await Promise.resolve();
      if (type === refuses) throw new EngineRefusal('locked', `The ${type} import is locked by another run.`);
      starts.push({ type, request });
      const runId = `run-${starts.length}`;
      runs.set(type, { runId, state: type === holds ? 'running' : 'completed', startedAt: new Date().toISOString() });
      return { runId };
    },
    stop: (type) => {
      const run = runs.get(type);
      if (run?.state !== 'running') throw new EngineRefusal('not-running', `No ${type} import is running.`);
      run.state = 'stopped';
      return { runId: run.runId };
    },
    status: async (type) => {
      await Promise.resolve();
      const run = runs.get(type);
      return run ? { type, ...run } : { type, state: 'completed', startedAt: roundStart, ...lastRuns[type] };
    },
    // A type completed a run unless its `lastRuns` entry says otherwise.
    lastCompletedRun: async (type) => {
      await Promise.resolve();
      const last = { state: 'completed', startedAt: roundStart, ...lastRuns[type] };
      if (last.state !== 'completed') return undefined;
      return { runId: `earlier-${type}`, type, mode: 'all', startedAt: roundStart, finishedAt: roundStart };
    },
  };
  return { engine, starts };
}
