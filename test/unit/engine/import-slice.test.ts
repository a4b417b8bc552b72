import { runImportSlice } from '../../../src/engine/import-slice';
import type { RunRequest } from '../../../src/engine/run-types';
import { roundStart, scriptedEngine } from './scripted-engine';

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

  it('runs an incremental new run in full for a type that never completed a run', async () => {
    const { engine, starts } = scriptedEngine({ orders: { state: 'idle', startedAt: undefined } });
    await runImportSlice(engine, {
      newRun: () => ({ mode: 'since', since: 'lastRun' }),
      deadlineMs: 60_000,
      pollMs: 1,
    });
    expect(starts).toEqual([{ type: 'orders', request: { mode: 'all' } }]);
  });

  it('runs an incremental new round incrementally where each type completed a run', async () => {
    const { engine, starts } = scriptedEngine({});
    await runImportSlice(engine, {
      newRun: () => ({ mode: 'since', since: 'lastRun' }),
      deadlineMs: 60_000,
      pollMs: 1,
    });
    expect(starts.map((start) => start.request)).toEqual(
      Array.from({ length: 4 }, () => ({ mode: 'since', since: 'lastRun' })),
    );
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
