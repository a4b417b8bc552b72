import { Writable } from 'node:stream';
import type { EffectiveRequest, Importer, ImportRun } from '../../../src/engine/importer';
import { JobEngine, type RecordCounter } from '../../../src/engine/job-engine';
import type { RunStatus } from '../../../src/engine/run-status';
import type { ImportType } from '../../../src/engine/run-types';
import { createLogger } from '../../../src/logging/logger';
import { engineStores, MemoryStore } from './memory-store';

/** An importer that runs until it is stopped. */
class UntilStopped implements Importer {
  constructor(readonly type: ImportType) {}
  initialRanges() {
    return [{}];
  }
  importRecords(run: ImportRun): Promise<void> {
    return new Promise((resolve) => run.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

function engineCounting(countRecords: RecordCounter) {
  const importers = {
    customers: new UntilStopped('customers'),
    orders: new UntilStopped('orders'),
    categories: new UntilStopped('categories'),
    products: new UntilStopped('products'),
  };
  const store = new MemoryStore();
  return new JobEngine({
    importers,
    ...engineStores(store),
    logger: createLogger('debug', new Writable({ write: (_chunk, _encoding, done) => done() })),
    countRecords,
    timing: { totalCountDeadlineMs: 200, heartbeatIntervalMs: 50, startDeadlineMs: 500 },
  });
}

/** Polls the status for up to 5 s until `accept` holds. */
async function statusWhen(engine: JobEngine, accept: (status: RunStatus) => boolean): Promise<RunStatus> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const status = await engine.status('orders');
    if (accept(status)) return status;
    if (Date.now() > deadline) throw new Error(`status still ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the total of a run', () => {
  const engines: JobEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.shutdown(1_000)));
  });

  it('is counted once at the start, for the request the run reads, and shown in its status', async () => {
    const counted: Array<{ type: ImportType; request: EffectiveRequest }> = [];
    const engine = engineCounting((type, request) => {
      counted.push({ type, request });
      return Promise.resolve(1_234);
    });
    engines.push(engine);
    await engine.start('orders', { mode: 'startId', startId: 'b' });
    const status = await statusWhen(engine, (candidate) => candidate.total !== undefined);
    expect(status).toMatchObject({ state: 'running', total: 1_234 });
    expect(counted).toEqual([{ type: 'orders', request: { mode: 'startId', startId: 'b' } }]);
  });

  it.each<[string, RecordCounter]>([
    ['fails', () => Promise.reject(new Error('commercetools is down'))],
    ['cannot be counted', () => Promise.resolve(undefined)],
    [
      'does not answer within its deadline',
      (_type, _request, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))),
    ],
  ])('is left out when the count %s, and the run goes on', async (_case, countRecords) => {
    let counting: Promise<unknown> | undefined;
    const engine = engineCounting((type, request, signal) => (counting = countRecords(type, request, signal)));
    engines.push(engine);
    await engine.start('orders', { mode: 'all' });
    await counting?.catch(() => undefined);
    // The engine hears of the count's end in the same turn; one more turn and it has done with it.
    await new Promise((resolve) => setImmediate(resolve));
    const status = await engine.status('orders');
    expect(status.state).toBe('running');
    expect(status).not.toHaveProperty('total');
    engine.stop('orders');
    expect(await statusWhen(engine, (candidate) => candidate.state !== 'stopping')).toMatchObject({ state: 'stopped' });
  });
});
