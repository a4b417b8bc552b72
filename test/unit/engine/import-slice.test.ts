import { runImportSlice } from '../../../src/engine/import-slice';
import type { JobEngine } from '../../../src/engine/job-engine';
import { EngineRefusal } from '../../../src/engine/refusal';
import type { RunStatus } from '../../../src/engine/run-status';
import type { ImportType, RunRequest } from '../../../src/engine/run-types';

type SliceEngine = Pick<JobEngine, 'start' | 'stop' | 'status'>;

/** When every import's last run started, unless a test says otherwise: all in one round. */
const roundStart = '2026-11-01T00:00:00.000Z';

/**
 * An engine whose runs complete as soon as they start, but for `holds`, which run until stopped,
 * and `refuses`, whose start is refused. Before a run starts, a type's status is its `lastRuns`
 * entry (a run that completed at `roundStart` when not given).
 */
function scriptedEngine(
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
  };
  return { engine, starts };
}

const newRun = (): RunRequest => ({ mode: 'all' });

describe('an import slice', () => {
  it('starts a new round of every import in dependency order when the last round finished', async () => {
    const { engine, starts } = scriptedEngine({});
    const slice = await runImportSlice(engine, { newRun, deadlineMs: 60_000, pollMs: 1 });
    expect(starts).toEqual([
      { type: 'categories', request: { mode: 'all' } },
      { type: 'products', request: { mode: 'all' } },
      { type: 'customers', request: { mode: 'all' } },
      { type: 'orders', request: { mode: 'all' } },
    ]);
    expect({ completed: slice.completed, deadlineReached: slice.deadlineReached }).toEqual({
      completed: true,
      deadlineReached: false,
    });
  });

  it('goes on with an unfinished round: resumes the first import that did not complete, then the ones after it', async () => {
    const { engine, starts } = scriptedEngine({
      products: { state: 'stopped', startedAt: roundStart },
      orders: { state: 'failed', startedAt: roundStart },
    });
    const slice = await runImportSlice(engine, { newRun, deadlineMs: 60_000, pollMs: 1 });
    expect(starts).toEqual([
      { type: 'products', request: { mode: 'resume' } },
      { type: 'customers', request: { mode: 'all' } },
      { type: 'orders', request: { mode: 'resume' } },
    ]);
    expect(slice.completed).toBe(true);
  });

  it('goes on with a round that ended between two imports: from the first whose last run started before the one before it', async () => {
    const later = '2026-11-02T00:00:00.000Z';
    const { engine, starts } = scriptedEngine({
      categories: { state: 'completed', startedAt: later },
      products: { state: 'completed', startedAt: later },
    });
    await runImportSlice(engine, { newRun, deadlineMs: 60_000, pollMs: 1 });
    expect(starts.map((start) => start.type)).toEqual(['customers', 'orders']);
  });

  it('runs what never ran, from the first import that never did', async () => {
    const { engine, starts } = scriptedEngine({
      customers: { state: 'idle', startedAt: undefined },
      orders: { state: 'idle', startedAt: undefined },
    });
    await runImportSlice(engine, { newRun, deadlineMs: 60_000, pollMs: 1 });
    expect(starts.map((start) => start.type)).toEqual(['customers', 'orders']);
  });

  it('stops the running import at the deadline and starts no further one', async () => {
    const { engine, starts } = scriptedEngine({}, { holds: 'customers' });
    const slice = await runImportSlice(engine, { newRun, deadlineMs: 50, pollMs: 1 });
    expect(starts.map((start) => start.type)).toEqual(['categories', 'products', 'customers']);
    expect(slice).toMatchObject({ completed: false, deadlineReached: true });
    expect(slice.outcomes.at(-1)).toMatchObject({ type: 'customers', started: true, status: { state: 'stopped' } });
  });

  it('ends at an import whose start is refused, with the refusal', async () => {
    const { engine, starts } = scriptedEngine({}, { refuses: 'products' });
    const slice = await runImportSlice(engine, { newRun, deadlineMs: 60_000, pollMs: 1 });
    expect(starts.map((start) => start.type)).toEqual(['categories']);
    expect(slice.completed).toBe(false);
    expect(slice.outcomes.at(-1)).toMatchObject({ type: 'products', started: false, error: { reason: 'locked' } });
  });
});
