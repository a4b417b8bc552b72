import { Writable } from 'node:stream';
import { PlatformError } from '../../../src/platform/platform-error';
import { CheckpointStore, checkpointContainer } from '../../../src/engine/checkpoints';
import { FailureStore } from '../../../src/engine/failure-store';
import { ImportLocks, lockContainer, lockKeys, type LockValue } from '../../../src/engine/import-lock';
import type { Importer, ImportRun } from '../../../src/engine/importer';
import type { EngineTiming } from '../../../src/engine/engine-timing';
import { JobEngine } from '../../../src/engine/job-engine';
import { LastRunStore, lastRunContainer } from '../../../src/engine/last-runs';
import type { RunStatus } from '../../../src/engine/run-status';
import { EngineRefusal } from '../../../src/engine/refusal';
import type { Checkpoint, ImportType, LastCompletedRun } from '../../../src/engine/run-types';
import { createLogger } from '../../../src/logging/logger';
import { delay, hang, MemoryStore, unreachable, type StoreCall } from './memory-store';
import { stringContaining } from '../../support/matchers';

/** Short enough that no test waits long; the engine's order of events is the same as with the defaults. */
const timing: Partial<EngineTiming> = {
  heartbeatIntervalMs: 40,
  heartbeatRetryMs: 10,
  startDeadlineMs: 300,
  startCleanupMs: 100,
  checkpointWriteDeadlineMs: 300,
  finalWriteDeadlineMs: 150,
  failuresFlushMs: 300,
  statusReadDeadlineMs: 100,
  windDownMs: 300,
  resumeRetryMinMs: 10,
  resumeRetryMaxMs: 50,
  resumeExpiryMarginMs: 10,
};
const ttlMs = 2_000;
const sinceMarginMs = 60_000;
const lockKey = lockKeys.customers;

type Behaviour = (run: ImportRun) => Promise<void>;

/** Waits until the run is aborted, then returns as an importer does once its requests in flight are done. */
const untilAborted: Behaviour = (run) =>
  new Promise((resolve) =>
    run.signal.aborted ? resolve() : run.signal.addEventListener('abort', () => resolve(), { once: true }),
  );

/** Reads and sends `pages` pages of `size` records in one range, committing each as it goes. */
function pagesOf(pages: number, size: number): Behaviour {
  return async (run) => {
    for (let page = 1; page <= pages; page++) {
      run.progress.read(size, run.tracker.beginPage(0));
      const ticket = run.tracker.openPage(0, `id-${String(page).padStart(4, '0')}`, size);
      run.progress.sent(size, ticket);
      for (let record = 0; record < size; record++) run.tracker.settle(ticket);
      await delay(5);
    }
  };
}

class FakeImporter implements Importer {
  readonly runs: ImportRun[] = [];
  constructor(
    public behaviour: Behaviour,
    readonly type: ImportType = 'customers',
  ) {}
  initialRanges() {
    return [{}];
  }
  importRecords(run: ImportRun): Promise<void> {
    this.runs.push(run);
    return this.behaviour(run);
  }
}

function setup(behaviour: Behaviour, options: { store?: MemoryStore; owner?: string } = {}) {
  const store = options.store ?? new MemoryStore();
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write: (chunk, _encoding, done) => (logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()),
    }),
  );
  const importer = new FakeImporter(behaviour);
  const locks = new ImportLocks(store, options.owner ?? 'instance-a', ttlMs);
  // The tests run the customers import; the others are there because the engine runs every type.
  const idle = (type: ImportType) => new FakeImporter(untilAborted, type);
  const importers = {
    customers: importer,
    orders: idle('orders'),
    categories: idle('categories'),
    products: idle('products'),
  };
  const engine = new JobEngine({
    importers,
    locks,
    checkpoints: new CheckpointStore(store),
    lastRuns: new LastRunStore(store),
    sinceMarginMs,
    failures: new FailureStore(store, { retryDelayMs: 1, callDeadlineMs: 300 }),
    logger,
    timing,
  });
  return { store, engine, importer, logLines };
}

/** Polls `read` until `done` says yes, for up to 5 s. */
async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there: ${JSON.stringify(value)}`);
    await delay(5);
  }
}

const ended = (status: RunStatus) => ['completed', 'failed', 'stopped', 'interrupted'].includes(status.state);

function liveLock(owner: string, runId: string, expiresInMs = 60_000): LockValue {
  return {
    owner,
    runId,
    startedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
  };
}

function savedCheckpoint(runId: string, state: Checkpoint['state']): Checkpoint {
  return {
    runId,
    type: 'customers',
    request: { mode: 'all' },
    state,
    ranges: [{ afterId: 'id-0002' }],
    counters: { read: 20, sent: 20, succeeded: 0, failed: 0, skipped: 0 },
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:01:00.000Z',
  };
}

describe('JobEngine', () => {
  const engines: JobEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.shutdown(1_000)));
  });
  function track<T extends { engine: JobEngine }>(created: T): T {
    engines.push(created.engine);
    return created;
  }

  it('logs the skips of a run at its end, counted per reason at info', async () => {
    const { engine, logLines } = track(
      setup(async (run) => {
        for (let index = 0; index < 3; index++) run.progress.skipped(`o-${index}`, 'order has no customer');
        run.progress.skipped('o-9', 'unchanged in Klaviyo');
      }),
    );
    await engine.start('customers', { mode: 'all' });
    await until(() => engine.status('customers'), ended);

    const summaries = logLines.filter((line) => line.message === 'Records skipped, by reason');
    expect(summaries).toEqual([
      expect.objectContaining({
        severity: 'INFO',
        skippedByReason: { 'order has no customer': 3, 'unchanged in Klaviyo': 1 },
      }),
    ]);
    expect(logLines.filter((line) => line.message === 'Record skipped')).toHaveLength(4);
  });

  describe('heartbeat', () => {
    it('sends one heartbeat at a time however slow commercetools answers, and keeps the lock', async () => {
      const { engine, store } = track(setup(untilAborted));
      let inFlight = 0;
      let mostInFlight = 0;
      store.fault = async (call, signal) => {
        if (call.container !== lockContainer) return;
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          // Slower than the interval between heartbeats, but in time before the lock expires.
          await delay(35 + Math.random() * 15, signal);
        } finally {
          inFlight--;
        }
      };
      const { runId } = await engine.start('customers', { mode: 'all' });
      await until(
        () => store.writesTo(lockContainer),
        (writes) => writes >= 8,
      );
      expect(mostInFlight).toBe(1);
      expect((await engine.status('customers')).state).toBe('running');
      expect(store.value<LockValue>(lockContainer, lockKey)).toMatchObject({ runId });
    });

    it('keeps running when a heartbeat went through but its answer was lost', async () => {
      const { engine, store } = track(setup(untilAborted));
      const { runId } = await engine.start('customers', { mode: 'all' });
      const writesBefore = store.writesTo(lockContainer);
      store.loseNextAnswer(lockContainer);
      await until(
        () => store.writesTo(lockContainer),
        (writes) => writes >= writesBefore + 4,
      );
      expect(await engine.status('customers')).toMatchObject({ state: 'running', runId });
      expect(store.value<LockValue>(lockContainer, lockKey)).toMatchObject({ runId });
    });

    it('keeps the run going through failed heartbeats, trying again soon', async () => {
      const { engine, store, logLines } = track(setup(untilAborted));
      const { runId } = await engine.start('customers', { mode: 'all' });
      let refusals = 0;
      store.fault = (call) => {
        if (call.container === lockContainer && refusals < 3) {
          refusals++;
          unreachable(call);
        }
      };
      const writesBefore = store.writesTo(lockContainer);
      await until(
        () => store.writesTo(lockContainer),
        (writes) => refusals === 3 && writes > writesBefore,
      );
      expect(await engine.status('customers')).toMatchObject({ state: 'running', runId });
      expect(logLines.filter((line) => line.message === 'Lock heartbeat failed, trying again soon')).toHaveLength(3);
    });

    it('stops a run at once and writes nothing more when another instance created the lock anew after a delete', async () => {
      const { engine, store, importer } = track(setup(untilAborted));
      await engine.start('customers', { mode: 'all' });
      await until(() => store.value(checkpointContainer, 'customers'), Boolean);
      // Someone clears the lock by hand and another instance resumes: its lock starts again at version 1.
      store.remove(lockContainer, lockKey);
      const other = new ImportLocks(store, 'instance-b', ttlMs);
      expect((await other.acquire('customers', 'run-b')).acquired).toBe(true);
      await new CheckpointStore(store).save({ ...savedCheckpoint('run-b', 'running') });
      const checkpointWrites = store.writesTo(checkpointContainer);

      const status = await until(() => engine.status('customers'), ended);
      expect(status).toMatchObject({ state: 'failed', error: stringContaining('taken over by another run') });
      expect(status.finishedAt).toBeDefined();
      expect(importer.runs[0].signal.aborted).toBe(true);
      expect(store.writesTo(checkpointContainer)).toBe(checkpointWrites);
      expect(store.value<Checkpoint>(checkpointContainer, 'customers')!.runId).toBe('run-b');
      expect(store.value<LockValue>(lockContainer, lockKey)).toMatchObject({ owner: 'instance-b', runId: 'run-b' });
    });

    it('stops a run whose checkpoint another run wrote, without writing over it', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const { engine, store } = track(
        setup(async (run) => {
          await pagesOf(1, 10)(run);
          await gate;
          await pagesOf(1, 10)(run);
        }),
      );
      await engine.start('customers', { mode: 'all' });
      await until(
        () => store.value<Checkpoint>(checkpointContainer, 'customers'),
        (checkpoint) => checkpoint?.counters.read === 10,
      );
      await new CheckpointStore(store).save(savedCheckpoint('run-b', 'running'));
      release();
      const status = await until(() => engine.status('customers'), ended);
      expect(status.state).toBe('failed');
      expect(store.value<Checkpoint>(checkpointContainer, 'customers')!.runId).toBe('run-b');
    });
  });

  describe('every failure ends the run', () => {
    it('fails the run when its first checkpoint cannot be written, gives the lock back, and the next start works', async () => {
      const { engine, store } = track(setup(pagesOf(3, 10)));
      store.fault = (call) => {
        if (call.container === checkpointContainer && call.operation === 'write') unreachable(call);
      };
      await engine.start('customers', { mode: 'all' });
      const failed = await until(() => engine.status('customers'), ended);
      expect(failed).toMatchObject({ state: 'failed', error: stringContaining('ECONNREFUSED') });
      expect(store.value(lockContainer, lockKey)).toBeUndefined();

      store.fault = undefined;
      await engine.start('customers', { mode: 'all' });
      expect(await until(() => engine.status('customers'), ended)).toMatchObject({
        state: 'completed',
        counters: { read: 30, sent: 30 },
      });
    });

    it("fails the run with the importer's reason when the importer throws, and releases the lock", async () => {
      const { engine, store } = track(
        setup(async () => {
          throw new Error('mapping exploded');
        }),
      );
      await engine.start('customers', { mode: 'all' });
      expect(await until(() => engine.status('customers'), ended)).toMatchObject({
        state: 'failed',
        error: 'mapping exploded',
      });
      expect(store.value(lockContainer, lockKey)).toBeUndefined();
      expect(store.value<Checkpoint>(checkpointContainer, 'customers')).toMatchObject({ state: 'failed' });
    });

    it('logs a checkpoint write that failed and carries its position in the next write', async () => {
      let failNext = true;
      const { engine, store, logLines } = track(setup(pagesOf(6, 5)));
      store.fault = (call) => {
        const isProgressWrite =
          call.container === checkpointContainer &&
          call.operation === 'write' &&
          store.writesTo(checkpointContainer) > 1;
        if (isProgressWrite && failNext) {
          failNext = false;
          unreachable(call);
        }
      };
      await engine.start('customers', { mode: 'all' });
      await until(() => engine.status('customers'), ended);
      expect(
        logLines.some(
          (line) => line.severity === 'WARNING' && String(line.message).startsWith('Could not save the checkpoint'),
        ),
      ).toBe(true);
      expect(store.value<Checkpoint>(checkpointContainer, 'customers')).toMatchObject({
        state: 'completed',
        ranges: [{ afterId: 'id-0006' }],
        counters: { read: 30, sent: 30 },
      });
    });

    it('shows the end state within seconds when neither the final checkpoint nor the lock release can be written', async () => {
      const { engine, store } = track(setup(pagesOf(2, 5)));
      let commercetoolsDown = false;
      store.fault = (call, signal) => (commercetoolsDown ? hang(call, signal) : undefined);
      const seen: RunStatus[] = [];
      await engine.start('customers', { mode: 'all' });
      await until(
        () => store.value<Checkpoint>(checkpointContainer, 'customers'),
        (checkpoint) => checkpoint?.counters.read === 5,
      );
      commercetoolsDown = true;
      const status = await until(async () => {
        const current = await engine.status('customers');
        seen.push(current);
        return current;
      }, ended);
      expect(status.state).toBe('completed');
      expect(status.warnings).toEqual([
        stringContaining('the final checkpoint could not be saved'),
        stringContaining('the completed run could not be recorded'),
        stringContaining('it expires by itself'),
      ]);
      expect(
        seen.filter((each) => each.finishedAt !== undefined && ['running', 'stopping'].includes(each.state)),
      ).toEqual([]);
    });

    it('ends a stopped run whose importer does not wind down', async () => {
      const { engine } = track(setup(() => new Promise(() => undefined)));
      await engine.start('customers', { mode: 'all' });
      engine.stop('customers');
      const status = await until(() => engine.status('customers'), ended);
      expect(status).toMatchObject({ state: 'stopped', warnings: [stringContaining('did not wind down')] });
    });
  });

  describe('shutdown', () => {
    it('ends the run as interrupted with its checkpoint saved and its lock released', async () => {
      const { engine, store } = track(setup(untilAborted));
      await engine.start('customers', { mode: 'all' });
      await engine.shutdown(1_000);
      expect(await engine.status('customers')).toMatchObject({ state: 'interrupted' });
      expect(store.value<Checkpoint>(checkpointContainer, 'customers')).toMatchObject({ state: 'interrupted' });
      expect(store.value(lockContainer, lockKey)).toBeUndefined();
    });
  });

  describe('start', () => {
    it('answers with a PlatformError, not later than its deadline, while commercetools does not answer', async () => {
      const { engine, store } = track(setup(untilAborted));
      store.fault = hang;
      const started = engine.start('customers', { mode: 'all' });
      await expect(started).rejects.toBeInstanceOf(PlatformError);
      await expect(started).rejects.toThrow('no answer within 0.3 s');
      store.fault = undefined;
      expect(await engine.status('customers')).toMatchObject({ state: 'idle' });
    });

    it('gives the lock back when a resume finds nothing to resume', async () => {
      const { engine, store } = track(setup(untilAborted));
      await expect(engine.start('customers', { mode: 'resume' })).rejects.toMatchObject({
        reason: 'nothing-to-resume',
      });
      expect(store.value(lockContainer, lockKey)).toBeUndefined();
    });
  });

  describe('since', () => {
    it('refuses "lastRun" with no completed run, giving the lock back', async () => {
      const { engine, store } = track(setup(pagesOf(1, 10)));
      await expect(engine.start('customers', { mode: 'since', since: 'lastRun' })).rejects.toMatchObject({
        reason: 'no-completed-run',
      });
      expect(store.value(lockContainer, lockKey)).toBeUndefined();
      expect(await engine.lastCompletedRun('customers')).toBeUndefined();
    });

    it('records a completed full run and reads from its start less the margin; the bound survives a resume', async () => {
      const { engine, store, importer } = track(setup(pagesOf(1, 10)));
      const { runId: fullRunId } = await engine.start('customers', { mode: 'all' });
      await until(() => engine.status('customers'), ended);
      const lastRun = store.value<LastCompletedRun>(lastRunContainer, 'customers')!;
      expect(lastRun).toMatchObject({ runId: fullRunId, type: 'customers', mode: 'all' });
      expect(await engine.lastCompletedRun('customers')).toEqual(lastRun);

      importer.behaviour = untilAborted;
      await engine.start('customers', { mode: 'since', since: 'lastRun' });
      await until(
        () => importer.runs.length,
        (runs) => runs === 2,
      );
      const modifiedFrom = new Date(Date.parse(lastRun.startedAt) - sinceMarginMs).toISOString();
      expect(importer.runs[1].request).toEqual({
        mode: 'since',
        since: 'lastRun',
        modifiedFrom,
        afterRunId: fullRunId,
      });
      engine.stop('customers');
      expect(await until(() => engine.status('customers'), ended)).toMatchObject({
        state: 'stopped',
        mode: 'since',
        since: 'lastRun',
        sinceRunId: fullRunId,
        bounds: { modifiedFrom },
      });
      // A stopped run is no completed run.
      expect(store.value<LastCompletedRun>(lastRunContainer, 'customers')!.runId).toBe(fullRunId);

      importer.behaviour = pagesOf(1, 10);
      const { runId: resumedRunId } = await engine.start('customers', { mode: 'resume' });
      await until(
        () => importer.runs.length,
        (runs) => runs === 3,
      );
      expect(importer.runs[2].request).toEqual(importer.runs[1].request);
      expect(await until(() => engine.status('customers'), ended)).toMatchObject({
        state: 'completed',
        mode: 'resume',
        resumes: 'since',
        bounds: { modifiedFrom },
      });
      expect(store.value<LastCompletedRun>(lastRunContainer, 'customers')).toMatchObject({
        runId: resumedRunId,
        mode: 'since',
        // The resumed run's records were read from the start of the run it continued.
        startedAt: store.value<Checkpoint>(checkpointContainer, 'customers')!.startedAt,
      });
    });

    it('takes an explicit time as the bound, and does not count ids or window runs as complete', async () => {
      const { engine, store, importer } = track(setup(pagesOf(1, 10)));
      await engine.start('customers', { mode: 'since', since: '2026-05-01T00:00:00.000Z' });
      await until(() => engine.status('customers'), ended);
      expect(importer.runs[0].request).toEqual({
        mode: 'since',
        since: '2026-05-01T00:00:00.000Z',
        modifiedFrom: '2026-05-01T00:00:00.000Z',
      });
      const recorded = store.value<LastCompletedRun>(lastRunContainer, 'customers');
      expect(recorded).toMatchObject({ mode: 'since' });

      await engine.start('customers', { mode: 'ids', ids: ['c1'] });
      await until(() => engine.status('customers'), ended);
      await engine.start('customers', { mode: 'window', createdFrom: '2026-01-01T00:00:00.000Z' });
      expect(await until(() => engine.status('customers'), ended)).toMatchObject({
        state: 'completed',
        mode: 'window',
        bounds: { createdFrom: '2026-01-01T00:00:00.000Z' },
      });
      expect(store.value<LastCompletedRun>(lastRunContainer, 'customers')).toEqual(recorded);
    });
  });

  describe('status', () => {
    it('answers fast while commercetools hangs, naming what it could not read', async () => {
      const { engine, store } = track(setup(untilAborted));
      store.fault = hang;
      const askedAt = Date.now();
      const status = await engine.status('customers');
      expect(Date.now() - askedAt).toBeLessThan(3_000);
      expect(status).toMatchObject({
        state: 'unknown',
        unavailable: ['lock', 'checkpoint'],
        unavailableReason: stringContaining('no answer'),
      });
    });

    it("still shows this instance's failed run and its error while commercetools is down", async () => {
      const { engine, store } = track(
        setup(async () => {
          throw new Error('Klaviyo said 401');
        }),
      );
      await engine.start('customers', { mode: 'all' });
      await until(() => engine.status('customers'), ended);
      store.fault = unreachable;
      expect(await engine.status('customers')).toMatchObject({
        state: 'failed',
        error: 'Klaviyo said 401',
        unavailable: ['lock'],
        unavailableReason: stringContaining('ECONNREFUSED'),
      });
    });

    it('shows a run another instance holds as running there, and one whose lock expired as interrupted', async () => {
      const { engine, store } = track(setup(untilAborted));
      store.put(checkpointContainer, 'customers', savedCheckpoint('run-b', 'running'));
      store.put(lockContainer, lockKey, liveLock('instance-b', 'run-b'));
      expect(await engine.status('customers')).toMatchObject({
        state: 'running',
        runId: 'run-b',
        runningOn: 'instance-b',
        lock: { live: true },
      });

      store.put(lockContainer, lockKey, liveLock('instance-b', 'run-b', -1_000));
      const stale = await engine.status('customers');
      expect(stale).toMatchObject({ state: 'interrupted', lock: { live: false } });
      expect(stale.runningOn).toBeUndefined();
    });

    it('shows a run another instance just started as running there, before its first checkpoint', async () => {
      const { engine, store } = track(setup(untilAborted));
      store.put(checkpointContainer, 'customers', savedCheckpoint('run-old', 'completed'));
      store.put(lockContainer, lockKey, liveLock('instance-b', 'run-b'));
      expect(await engine.status('customers')).toMatchObject({
        state: 'running',
        runId: 'run-b',
        runningOn: 'instance-b',
      });
    });
  });

  describe('clearLock', () => {
    it('refuses to clear a live lock unless forced', async () => {
      const { engine, store } = track(setup(untilAborted));
      store.put(lockContainer, lockKey, liveLock('instance-b', 'run-b'));
      const refused = engine.clearLock('customers');
      await expect(refused).rejects.toBeInstanceOf(EngineRefusal);
      await expect(refused).rejects.toMatchObject({
        reason: 'locked',
        details: { lock: { owner: 'instance-b', live: true } },
      });
      expect(store.value(lockContainer, lockKey)).toMatchObject({ owner: 'instance-b', runId: 'run-b' });
      expect(await engine.clearLock('customers', { force: true })).toBe(true);
      expect(store.value(lockContainer, lockKey)).toBeUndefined();
    });
  });

  describe('resume', () => {
    it('counts each record once: the checkpoint counts committed pages only, a resume starts from them and says what it re-sent', async () => {
      const { engine, store, importer } = track(
        setup(async (run) => {
          await pagesOf(2, 10)(run);
          // A third page is read and sent but its records never settle.
          run.progress.read(10, run.tracker.beginPage(0));
          const ticket = run.tracker.openPage(0, 'id-0003', 10);
          run.progress.sent(10, ticket);
          await untilAborted(run);
        }),
      );
      await engine.start('customers', { mode: 'all' });
      await until(
        () => engine.status('customers'),
        (status) => status.counters?.read === 30,
      );
      engine.stop('customers');
      const stopped = await until(() => engine.status('customers'), ended);
      expect(stopped.counters).toMatchObject({ read: 30, sent: 30 });
      expect(store.value<Checkpoint>(checkpointContainer, 'customers')).toMatchObject({
        state: 'stopped',
        ranges: [{ afterId: 'id-0002' }],
        counters: { read: 20, sent: 20 },
        sentUncommitted: 10,
      });

      importer.behaviour = pagesOf(1, 10);
      await engine.start('customers', { mode: 'resume' });
      const done = await until(() => engine.status('customers'), ended);
      expect(importer.runs[1].ranges).toEqual([{ afterId: 'id-0002' }]);
      expect(done).toMatchObject({
        state: 'completed',
        mode: 'resume',
        resumes: 'all',
        counters: { read: 30, sent: 30 },
        resent: 10,
      });
      const saved = store.value<Checkpoint>(checkpointContainer, 'customers')!;
      expect(saved).toMatchObject({ state: 'completed', resent: 10 });
      expect(saved.sentUncommitted).toBeUndefined();
    });

    it('writes the checkpoint as the position moves, one write at a time, ending at the last position', async () => {
      const { engine, store } = track(setup(pagesOf(20, 5)));
      let inFlight = 0;
      let mostInFlight = 0;
      // What each write finds stored: the position the write before it saved.
      const positions: (string | undefined)[] = [];
      store.fault = async (call: StoreCall, signal) => {
        if (call.container !== checkpointContainer || call.operation !== 'write') return;
        positions.push(store.value<Checkpoint>(checkpointContainer, 'customers')?.ranges[0].afterId);
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          await delay(12, signal);
        } finally {
          inFlight--;
        }
      };
      await engine.start('customers', { mode: 'all' });
      await until(() => engine.status('customers'), ended);
      expect(mostInFlight).toBe(1);
      // Writes followed the position while the run went on, not only at its end.
      expect(
        new Set(positions.filter((position) => position !== undefined && position !== 'id-0020')).size,
      ).toBeGreaterThan(1);
      expect(store.value<Checkpoint>(checkpointContainer, 'customers')!.ranges).toEqual([{ afterId: 'id-0020' }]);
    });
  });

  describe('auto-resume', () => {
    it("waits for the crashed run's lock to expire, then resumes it", async () => {
      const { engine, store, importer } = track(setup(pagesOf(1, 10)));
      const lock = liveLock('crashed-instance', 'run-crashed', 300);
      store.put(checkpointContainer, 'customers', savedCheckpoint('run-crashed', 'running'));
      store.put(lockContainer, lockKey, lock);
      let resumedAt = 0;
      importer.behaviour = async (run) => {
        resumedAt = Date.now();
        await pagesOf(1, 10)(run);
      };

      expect(await engine.resumeInterrupted()).toEqual(['customers']);
      expect(resumedAt).toBeGreaterThanOrEqual(Date.parse(lock.expiresAt));
      expect(importer.runs[0].ranges).toEqual([{ afterId: 'id-0002' }]);
      expect(await until(() => engine.status('customers'), ended)).toMatchObject({
        state: 'completed',
        mode: 'resume',
        resumes: 'all',
      });
    });

    it('keeps trying while commercetools cannot be reached', async () => {
      const { engine, store } = track(setup(pagesOf(1, 10)));
      store.put(checkpointContainer, 'customers', savedCheckpoint('run-crashed', 'interrupted'));
      let refusals = 0;
      store.fault = (call) => {
        if (refusals < 5) {
          refusals++;
          unreachable(call);
        }
      };
      expect(await engine.resumeInterrupted()).toEqual(['customers']);
      expect(refusals).toBe(5);
    });

    it('gives up once another instance has resumed the run, and on shutdown', async () => {
      const { engine, store } = track(setup(untilAborted));
      store.put(checkpointContainer, 'customers', savedCheckpoint('run-crashed', 'running'));
      store.put(lockContainer, lockKey, liveLock('crashed-instance', 'run-crashed', 200));
      const resuming = engine.resumeInterrupted();
      await until(
        () => store.calls.filter((call) => call.container === lockContainer).length,
        (calls) => calls > 0,
      );
      // While this one waits for the lock to expire, another instance takes it over and writes its own checkpoint.
      store.put(lockContainer, lockKey, liveLock('instance-b', 'run-b'));
      store.put(checkpointContainer, 'customers', savedCheckpoint('run-b', 'running'));
      expect(await resuming).toEqual([]);

      const { engine: waiting, store: otherStore } = track(setup(untilAborted));
      otherStore.put(checkpointContainer, 'customers', savedCheckpoint('run-crashed', 'running'));
      otherStore.put(lockContainer, lockKey, liveLock('crashed-instance', 'run-crashed', 60_000));
      const stillWaiting = waiting.resumeInterrupted();
      await until(
        () => otherStore.calls.filter((call) => call.container === lockContainer).length,
        (calls) => calls > 0,
      );
      await waiting.shutdown(1_000);
      expect(await stillWaiting).toEqual([]);
    });
  });
});

describe('JobEngine failures', () => {
  const engines: JobEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.shutdown(1_000)));
  });

  const refusal = (id: string) => `Klaviyo refused the profile: invalid bad value at /data/${id}`;

  /** Fails `failed` and skips `skipped`, then ends. */
  function failing(failed: string[], skipped: string[] = []): Behaviour {
    return async (run) => {
      for (const id of failed) run.progress.failed(id, refusal(id));
      for (const id of skipped) run.progress.skipped(id, 'left out');
      await delay(1);
    };
  }

  async function runToEnd(engine: JobEngine, request: Parameters<JobEngine['start']>[1]) {
    const { runId } = await engine.start('customers', request);
    const status = await until(() => engine.status('customers'), ended);
    return { runId, status };
  }

  async function listed(engine: JobEngine, run: string) {
    const { run: found, entries } = await engine.failures('customers', run);
    const all = [];
    for await (const chunk of entries) all.push(...chunk);
    return { runId: found.runId, entries: all };
  }

  it('lists every failure and skip of the last run, and retries exactly its failed records as a run of its own', async () => {
    const created = setup(failing(['c-2', 'c-1'], ['c-3']));
    engines.push(created.engine);
    const { engine, importer } = created;
    const first = await runToEnd(engine, { mode: 'all' });

    expect(await listed(engine, 'last')).toEqual({
      runId: first.runId,
      entries: [
        { id: 'c-2', kind: 'failed', reason: refusal('c-2'), code: 'invalid', pointer: '/data/c-2' },
        { id: 'c-1', kind: 'failed', reason: refusal('c-1'), code: 'invalid', pointer: '/data/c-1' },
        { id: 'c-3', kind: 'skipped', reason: 'left out' },
      ],
    });

    importer.behaviour = failing([]);
    const retry = await runToEnd(engine, { mode: 'retryFailed', run: 'last' });
    expect(retry.runId).not.toBe(first.runId);
    expect(importer.runs[1].request).toEqual({ mode: 'ids', ids: ['c-2', 'c-1'], retryOf: first.runId });
    expect(retry.status).toMatchObject({ state: 'completed', mode: 'retryFailed', retryOf: first.runId });
    // The first run stays listed under its id after the retry became the last run.
    expect((await listed(engine, first.runId)).entries).toHaveLength(3);
    expect(await listed(engine, 'last')).toEqual({ runId: retry.runId, entries: [] });
  });

  it('keeps a resumed run’s failures together with those of the run it resumed', async () => {
    const created = setup(async (run) => {
      run.progress.failed('c-1', refusal('c-1'));
      await untilAborted(run);
    });
    engines.push(created.engine);
    const { engine, importer } = created;
    await engine.start('customers', { mode: 'all' });
    await until(
      () => engine.status('customers'),
      (status) => status.counters?.failed === 1,
    );
    engine.stop('customers');
    await until(() => engine.status('customers'), ended);

    importer.behaviour = failing(['c-2']);
    const resumed = await runToEnd(engine, { mode: 'resume' });
    expect((await listed(engine, 'last')).entries.map((entry) => entry.id)).toEqual(['c-1', 'c-2']);
    importer.behaviour = failing([]);
    await runToEnd(engine, { mode: 'retryFailed', run: resumed.runId });
    expect(importer.runs[2].request).toMatchObject({ mode: 'ids', ids: ['c-1', 'c-2'] });
  });

  it('saves a retry naming the run it retries, not its ids, and a resume reads the ids again', async () => {
    const created = setup(failing(['c-1', 'c-2']));
    engines.push(created.engine);
    const { engine, importer, store } = created;
    const first = await runToEnd(engine, { mode: 'all' });

    importer.behaviour = untilAborted;
    const { runId } = await engine.start('customers', { mode: 'retryFailed', run: first.runId });
    engine.stop('customers');
    await until(() => engine.status('customers'), ended);
    expect(store.value<Checkpoint>(checkpointContainer, 'customers')).toMatchObject({
      runId,
      state: 'stopped',
      request: { mode: 'retryFailed', run: first.runId },
    });

    importer.behaviour = failing([]);
    const resumed = await runToEnd(engine, { mode: 'resume' });
    expect(importer.runs[2].request).toEqual({ mode: 'ids', ids: ['c-1', 'c-2'], retryOf: first.runId });
    expect(resumed.status).toMatchObject({
      state: 'completed',
      mode: 'resume',
      resumes: 'retryFailed',
      retryOf: first.runId,
    });
  });

  it('refuses to retry an unknown run, or one that failed nothing, and gives the lock back', async () => {
    const created = setup(failing([], ['c-1']));
    engines.push(created.engine);
    const { engine } = created;
    const refusalOf = (request: Parameters<JobEngine['start']>[1]) =>
      engine.start('customers', request).then(
        () => undefined,
        (error: unknown) => (error as EngineRefusal).reason,
      );

    expect(await refusalOf({ mode: 'retryFailed', run: 'last' })).toBe('unknown-run');
    await expect(engine.failures('customers', 'no-such-run')).rejects.toMatchObject({ reason: 'unknown-run' });
    const { runId } = await runToEnd(engine, { mode: 'all' });
    expect(await refusalOf({ mode: 'retryFailed', run: runId })).toBe('nothing-to-retry');
    expect((await runToEnd(engine, { mode: 'all' })).status.state).toBe('completed');
  });

  it('ends its run when the failures cannot be stored, and says how many were lost', async () => {
    const created = setup(failing(['c-1', 'c-2']));
    engines.push(created.engine);
    const { engine, store } = created;
    store.fault = (call) => {
      if (call.container.startsWith('ct-klaviyo-bulk-import-failures-')) unreachable(call);
    };
    const { status } = await runToEnd(engine, { mode: 'all' });

    expect(status).toMatchObject({
      state: 'completed',
      failuresNotStored: 2,
      warnings: [expect.stringContaining('2 failure entries could not be stored')],
    });
  });
});
