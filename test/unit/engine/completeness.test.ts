import { Writable } from 'node:stream';
import { checkpointContainer } from '../../../src/engine/checkpoints';
import { completenessOf, type RunEnd } from '../../../src/engine/completeness';
import type { Importer, ImportRun } from '../../../src/engine/importer';
import { JobEngine } from '../../../src/engine/job-engine';
import type { RunStatus } from '../../../src/engine/run-status';
import { importTypes, type Checkpoint, type ImportType, type RunRequest } from '../../../src/engine/run-types';
import { createLogger } from '../../../src/logging/logger';
import { delay, engineStores, MemoryStore } from './memory-store';

const counters = (read: number, sent: number, succeeded: number, failed: number, skipped: number) => ({
  read,
  sent,
  succeeded,
  failed,
  skipped,
});

function end(type: ImportType, partial: Partial<RunEnd> & Pick<RunEnd, 'counters'>): RunEnd {
  return { type, state: 'completed', notFound: 0, unsettled: 0, ...partial };
}

describe('completenessOf', () => {
  it('balances a completed customers run: confirmed is what Klaviyo’s finished jobs counted', () => {
    const result = completenessOf(end('customers', { counters: counters(10, 9, 7, 2, 1) }));
    expect(result).toMatchObject({ read: 10, sent: 9, confirmed: 7, failed: 2, skipped: 1, unaccounted: 0 });
    expect(result.why).toBeUndefined();
    expect(result.line).toBe('read 10 customers = 7 confirmed + 2 failed + 1 skipped; sent 9 profiles');
  });

  it('names profiles still in Klaviyo jobs when a stopped run did not follow them to the end', () => {
    const result = completenessOf(end('customers', { state: 'stopped', counters: counters(10, 10, 6, 0, 0) }));
    expect(result).toMatchObject({ confirmed: 6, unaccounted: 4, why: 'still in Klaviyo jobs not followed' });
    expect(result.line).toBe(
      'read 10 customers = 6 confirmed + 0 failed + 0 skipped + 4 unaccounted (still in Klaviyo jobs not followed); sent 10 profiles',
    );
  });

  it('names records read but never sent', () => {
    const result = completenessOf(end('categories', { state: 'stopped', counters: counters(10, 7, 7, 1, 0) }));
    expect(result).toMatchObject({ confirmed: 7, unaccounted: 2, why: 'stopped before sending' });
  });

  it('keeps requested ids commercetools does not have out of the sum, and names them', () => {
    const result = completenessOf(end('customers', { notFound: 2, counters: counters(3, 3, 3, 2, 0) }));
    expect(result).toMatchObject({ read: 3, confirmed: 3, failed: 0, notFound: 2, unaccounted: 0 });
    expect(result.line).toBe(
      'read 3 customers = 3 confirmed + 0 failed + 0 skipped; sent 3 profiles; 2 requested ids not found in commercetools',
    );
  });

  it('counts orders, not events: an order of a page Klaviyo has not answered for in full is unaccounted', () => {
    const result = completenessOf(
      end('orders', { state: 'stopped', unsettled: 5, counters: counters(20, 40, 40, 1, 2) }),
    );
    expect(result).toMatchObject({ read: 20, sent: 40, sentUnit: 'events', confirmed: 12, unaccounted: 5 });
    expect(result.why).toBe('stopped before Klaviyo answered for all of their records');
  });

  it('says so when a completed run does not add up', () => {
    const result = completenessOf(end('customers', { counters: counters(10, 10, 10, 0, 1) }));
    expect(result).toMatchObject({ unaccounted: -1, why: 'the counts do not add up; please report this' });
  });

  it('describes what it compares for every type', () => {
    for (const type of importTypes) {
      const result = completenessOf(end(type, { counters: counters(1, 1, 1, 0, 0) }));
      expect(result.confirmedBy.length).toBeGreaterThan(10);
      expect(result.line).toContain(`read 1 ${type}`);
    }
  });
});

/** An importer that runs `behaviour` for its type; the other types wait to be stopped. */
class ScriptedImporter implements Importer {
  constructor(
    readonly type: ImportType,
    private readonly behaviour: (run: ImportRun) => Promise<void>,
  ) {}
  initialRanges() {
    return [{}];
  }
  importRecords(run: ImportRun): Promise<void> {
    return this.behaviour(run);
  }
}

function engineWith(type: ImportType, behaviour: (run: ImportRun) => Promise<void>, store = new MemoryStore()) {
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write: (chunk, _encoding, done) => (logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()),
    }),
  );
  const importers = Object.fromEntries(
    importTypes.map((each) => [each, new ScriptedImporter(each, each === type ? behaviour : untilAborted)]),
  ) as unknown as Record<ImportType, Importer>;
  const engine = new JobEngine({
    importers,
    ...engineStores(store),
    logger,
    timing: { heartbeatIntervalMs: 40, finalWriteDeadlineMs: 500, windDownMs: 500 },
  });
  return { engine, store, logLines };
}

function untilAborted(run: ImportRun): Promise<void> {
  return new Promise((resolve) =>
    run.signal.aborted ? resolve() : run.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

async function finalStatus(engine: JobEngine, type: ImportType): Promise<RunStatus> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const status = await engine.status(type);
    if (['completed', 'failed', 'stopped', 'interrupted'].includes(status.state)) return status;
    if (Date.now() > deadline) throw new Error(`still ${status.state}`);
    await delay(5);
  }
}

describe('JobEngine: completeness at the end of a run', () => {
  const engines: JobEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.shutdown(1_000)));
  });

  async function run(type: ImportType, behaviour: (run: ImportRun) => Promise<void>, request: RunRequest) {
    const built = engineWith(type, behaviour);
    engines.push(built.engine);
    await built.engine.start(type, request);
    return { ...built, status: await finalStatus(built.engine, type) };
  }

  it('logs the line, shows it in the status and saves it with the final checkpoint', async () => {
    const { engine, store, logLines, status } = await run(
      'customers',
      async ({ progress, tracker }) => {
        progress.read(10, tracker.beginPage(0));
        const ticket = tracker.openPage(0, 'id-10', 10);
        progress.sent(10, ticket);
        for (let record = 0; record < 10; record++) tracker.settle(ticket);
        // What a profile job reports once it is finished: no page of its own.
        progress.succeeded(8);
        progress.failed('id-3', 'Klaviyo refused the profile');
        progress.failed('id-7', 'Klaviyo refused the profile');
        await delay(1);
      },
      { mode: 'all' },
    );
    expect(status.state).toBe('completed');
    expect(status.completeness).toMatchObject({ read: 10, sent: 10, confirmed: 8, failed: 2, unaccounted: 0 });
    const line = logLines.find((entry) => String(entry.message).startsWith('Import completeness'));
    expect(line).toMatchObject({
      severity: 'INFO',
      message: 'Import completeness: read 10 customers = 8 confirmed + 2 failed + 0 skipped; sent 10 profiles',
      completeness: { read: 10, confirmed: 8, unaccounted: 0 },
    });
    expect(store.value<Checkpoint>(checkpointContainer, 'customers')?.completeness).toEqual(status.completeness);

    // Another instance, or this one after a restart, shows it from the checkpoint.
    const other = engineWith('customers', untilAborted, store);
    engines.push(other.engine);
    expect((await other.engine.status('customers')).completeness).toEqual(status.completeness);
    await engine.shutdown(1_000);
  });

  it('is not in the status of a run still going', async () => {
    const built = engineWith('customers', untilAborted);
    engines.push(built.engine);
    await built.engine.start('customers', { mode: 'all' });
    expect((await built.engine.status('customers')).completeness).toBeUndefined();
  });

  it('counts a stopped orders run in orders: those of a page Klaviyo has not answered for in full are unaccounted', async () => {
    const built = engineWith('orders', async ({ progress, tracker, signal }) => {
      // Page 1: 2 orders, 3 events, all answered. Page 2: 3 orders, 4 events, one answered.
      progress.read(2, tracker.beginPage(0));
      const first = tracker.openPage(0, 'id-2', 3);
      progress.sent(3, first);
      for (let event = 0; event < 3; event++) tracker.settle(first);
      const counts = tracker.beginPage(0);
      progress.read(3, counts);
      progress.skipped('id-5', 'no customer to attribute it to', counts);
      const second = tracker.openPage(0, 'id-5', 4);
      progress.sent(1, second);
      tracker.settle(second);
      await untilAborted({ signal } as ImportRun);
    });
    engines.push(built.engine);
    await built.engine.start('orders', { mode: 'all' });
    await delay(20);
    built.engine.stop('orders');
    const status = await finalStatus(built.engine, 'orders');
    expect(status.state).toBe('stopped');
    expect(status.completeness).toMatchObject({
      read: 5,
      sent: 4,
      sentUnit: 'events',
      confirmed: 2,
      skipped: 1,
      unaccounted: 2,
      why: 'stopped before Klaviyo answered for all of their records',
    });
  });

  it('keeps ids commercetools does not have out of what was read', async () => {
    const { status } = await run(
      'categories',
      async ({ progress, tracker }) => {
        progress.notFound('missing-1');
        progress.read(1, tracker.beginPage(0));
        const ticket = tracker.openPage(0, 'id-1', 1);
        progress.sent(1, ticket);
        progress.succeeded(1, ticket);
        tracker.settle(ticket);
        await delay(1);
      },
      { mode: 'ids', ids: ['id-1', 'missing-1'] },
    );
    expect(status.completeness).toMatchObject({ read: 1, confirmed: 1, failed: 0, notFound: 1, unaccounted: 0 });
    expect(status.counters).toMatchObject({ failed: 1 });
  });

  it('still keeps them out after a resume: the count of ids not found is saved with the checkpoint', async () => {
    let runs = 0;
    const built = engineWith('categories', async (run) => {
      const { progress, tracker } = run;
      runs++;
      if (runs === 1) progress.notFound('missing-1');
      progress.read(1, tracker.beginPage(0));
      const ticket = tracker.openPage(0, 'id-1', 1);
      // The first run is stopped before Klaviyo confirms the category; the resume reads it again.
      if (runs === 1) return untilAborted(run);
      progress.sent(1, ticket);
      progress.succeeded(1, ticket);
      tracker.settle(ticket);
      await delay(1);
    });
    engines.push(built.engine);
    await built.engine.start('categories', { mode: 'ids', ids: ['id-1', 'missing-1'] });
    await delay(20);
    built.engine.stop('categories');
    expect(await finalStatus(built.engine, 'categories')).toMatchObject({
      state: 'stopped',
      completeness: { read: 1, confirmed: 0, notFound: 1, unaccounted: 1, why: 'stopped before sending' },
    });

    await built.engine.start('categories', { mode: 'resume' });
    const resumed = await finalStatus(built.engine, 'categories');
    expect(resumed.state).toBe('completed');
    expect(resumed.counters).toMatchObject({ read: 1, failed: 1 });
    expect(resumed.completeness).toMatchObject({ read: 1, confirmed: 1, failed: 0, notFound: 1, unaccounted: 0 });
  });

  it('is left out of a deletion, which reads Klaviyo rather than commercetools', async () => {
    const { status } = await run(
      'products',
      async ({ progress }) => {
        progress.read(3);
        await delay(1);
      },
      { mode: 'deleteAll' },
    );
    expect(status.state).toBe('completed');
    expect(status.completeness).toBeUndefined();
  });
});
