import { Writable } from 'node:stream';
import type { DryRunReport } from '../../../src/engine/dry-run-report';
import type { DryRunStatus } from '../../../src/engine/dry-runs';
import type { Importer, ImportRun } from '../../../src/engine/importer';
import { JobEngine } from '../../../src/engine/job-engine';
import { EngineRefusal } from '../../../src/engine/refusal';
import type { ImportType } from '../../../src/engine/run-types';
import { createLogger } from '../../../src/logging/logger';
import { delay, engineStores, MemoryStore } from './memory-store';

type Behaviour = (run: ImportRun) => Promise<void>;

const untilAborted: Behaviour = (run) =>
  new Promise((resolve) =>
    run.signal.aborted ? resolve() : run.signal.addEventListener('abort', () => resolve(), { once: true }),
  );

/** Reads, maps and "sends" one page of `size` records. */
const onePage =
  (size: number): Behaviour =>
  async (run) => {
    run.progress.read(size, run.tracker.beginPage(0));
    const ticket = run.tracker.openPage(0, 'id-0001', size);
    run.progress.sent(size, ticket);
    for (let record = 0; record < size; record++) run.tracker.settle(ticket);
    await delay(5);
  };

function importer(type: ImportType, behaviour: Behaviour): Importer {
  return { type, initialRanges: () => [{}], importRecords: behaviour };
}

function emptyReport(profiles = 0): DryRunReport {
  return {
    records: { profiles, events: 0, eventsPerMetric: {}, catalogItems: 0, catalogVariants: 0, catalogCategories: 0 },
    refusals: { count: 0, listLimit: 100, listed: [] },
    requests: {},
    klaviyoSeconds: 0,
  };
}

function setup(dryBehaviour: Behaviour, realBehaviour: Behaviour = untilAborted) {
  const store = new MemoryStore();
  const logger = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));
  const real = (type: ImportType) => importer(type, realBehaviour);
  const engine = new JobEngine({
    importers: {
      customers: real('customers'),
      orders: real('orders'),
      categories: real('categories'),
      products: real('products'),
    },
    ...engineStores(store),
    logger,
    timing: { heartbeatIntervalMs: 40, windDownMs: 200 },
    dryRun: (type) => ({ importer: importer(type, dryBehaviour), report: () => emptyReport(7) }),
  });
  return { engine, store };
}

async function untilEnded(engine: JobEngine, type: ImportType): Promise<DryRunStatus> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const status = engine.dryRunStatus(type);
    if (['completed', 'failed', 'stopped', 'interrupted'].includes(status.state)) return status;
    if (Date.now() > deadline) throw new Error(`dry run still ${status.state}`);
    await delay(5);
  }
}

describe('dry runs in the JobEngine', () => {
  const engines: JobEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.shutdown(1_000)));
  });
  function tracked(created: ReturnType<typeof setup>) {
    engines.push(created.engine);
    return created;
  }

  it('runs without touching commercetools: no lock, no checkpoint', async () => {
    const { engine, store } = tracked(setup(onePage(3)));
    const { runId } = await engine.startDryRun('customers', { mode: 'all' });
    const status = await untilEnded(engine, 'customers');
    expect(status).toMatchObject({
      type: 'customers',
      runId,
      state: 'completed',
      dryRun: true,
      counters: { read: 3, sent: 3, failed: 0 },
      dryRunReport: { records: { profiles: 7 } },
    });
    expect(store.calls).toEqual([]);
    expect((await engine.status('customers')).state).toBe('idle');
  });

  it('runs beside a real run of the same type, each with its own status', async () => {
    const { engine } = tracked(setup(onePage(2)));
    const real = await engine.start('customers', { mode: 'all' });
    const dry = await engine.startDryRun('customers', { mode: 'all' });
    expect((await untilEnded(engine, 'customers')).runId).toBe(dry.runId);
    expect(await engine.status('customers')).toMatchObject({ runId: real.runId, state: 'running' });
    expect(engine.dryRunStatus('customers')).not.toHaveProperty('lock');
  });

  it('refuses a second dry run of a type while one runs, resume and deleteAll, and a stop with none running', async () => {
    const { engine } = tracked(setup(untilAborted));
    const refusal = async (call: () => unknown) => {
      try {
        await call();
      } catch (error) {
        return (error as EngineRefusal).reason;
      }
      return undefined;
    };
    expect(await refusal(() => engine.stopDryRun('orders'))).toBe('not-running');
    await engine.startDryRun('orders', { mode: 'ids', ids: ['o-1'] });
    expect(await refusal(() => engine.startDryRun('orders', { mode: 'all' }))).toBe('running-here');
    expect(await refusal(() => engine.startDryRun('customers', { mode: 'resume' }))).toBe('not-supported');
    expect(await refusal(() => engine.startDryRun('products', { mode: 'deleteAll' }))).toBe('not-supported');
    expect(await refusal(() => engine.startDryRun('categories', { mode: 'since', since: 'lastRun' }))).toBe(
      'no-completed-run',
    );
    expect(await refusal(() => engine.startDryRun('products', { mode: 'all' }))).toBeUndefined();
  });

  it('stops on request', async () => {
    const { engine } = tracked(setup(untilAborted));
    const { runId } = await engine.startDryRun('categories', { mode: 'all' });
    expect(engine.stopDryRun('categories')).toEqual({ runId });
    expect(await untilEnded(engine, 'categories')).toMatchObject({ state: 'stopped' });
  });

  it("ends as failed with the importer's error", async () => {
    const { engine } = tracked(setup(() => Promise.reject(new Error('Klaviyo refused the key'))));
    await engine.startDryRun('customers', { mode: 'all' });
    expect(await untilEnded(engine, 'customers')).toMatchObject({ state: 'failed', error: 'Klaviyo refused the key' });
  });

  it('ends a stopped dry run whose importer never returns, with a warning', async () => {
    const { engine } = tracked(setup(() => new Promise<void>(() => undefined)));
    await engine.startDryRun('customers', { mode: 'all' });
    engine.stopDryRun('customers');
    const status = await untilEnded(engine, 'customers');
    expect(status.state).toBe('stopped');
    expect(status.warnings?.[0]).toContain('did not wind down');
  });

  it('ends its dry runs on shutdown', async () => {
    const { engine } = setup(untilAborted);
    await engine.startDryRun('orders', { mode: 'all' });
    await engine.shutdown(1_000);
    expect(engine.dryRunStatus('orders').state).toBe('interrupted');
  });

  it('refuses dry runs when built without them', () => {
    const store = new MemoryStore();
    const engine = new JobEngine({
      importers: {} as Record<ImportType, Importer>,
      ...engineStores(store),
      logger: createLogger('silent'),
    });
    expect(() => engine.dryRunStatus('customers')).toThrow(EngineRefusal);
  });
});
