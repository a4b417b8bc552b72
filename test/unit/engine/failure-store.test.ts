import { failureEntry, failuresContainer, FailureStore, type FailedRun } from '../../../src/engine/failure-store';
import type { FailureEntry } from '../../../src/engine/run-types';
import { createLogger } from '../../../src/logging/logger';
import { hang, MemoryStore, unreachable, type StoreCall } from './memory-store';

const logger = createLogger('silent');
const container = failuresContainer('customers');
const fast = { callDeadlineMs: 1_000, retryDelayMs: 1, writeAttempts: 3 };

function recorderOf(store: MemoryStore, runId: string, options: ConstructorParameters<typeof FailureStore>[1] = {}) {
  const failures = new FailureStore(store, { ...fast, ...options });
  const recorder = failures.recorder(
    { runId, type: 'customers', mode: 'all', startedAt: '2026-01-01T00:00:00.000Z' },
    logger,
  );
  return { failures, recorder };
}

async function readAll(failures: FailureStore, run: FailedRun): Promise<FailureEntry[]> {
  const entries: FailureEntry[] = [];
  for await (const chunk of failures.entries(run)) entries.push(...chunk);
  return entries;
}

/** A fault for the writes of chosen keys only. */
function onWritesTo(keys: (key: string) => boolean, fault: (call: StoreCall, signal?: AbortSignal) => unknown) {
  return async (call: StoreCall, signal?: AbortSignal) => {
    if (call.operation === 'write' && keys(call.key)) await fault(call, signal);
  };
}

describe('FailureStore', () => {
  it('writes full chunks as they fill and the rest at the end; the run, found by id or as the latest, lists them in order', async () => {
    const store = new MemoryStore();
    const { failures, recorder } = recorderOf(store, 'run-1', { chunkSize: 3 });
    for (let index = 0; index < 7; index++) recorder.add(index % 2 ? 'skipped' : 'failed', `c-${index}`, 'why');

    expect(await recorder.close(1_000)).toEqual({ stored: 7, unstored: 0 });
    expect(
      [0, 1, 2].map((chunk) => store.value<{ entries: unknown[] }>(container, `run-1-${chunk}`)?.entries.length),
    ).toEqual([3, 3, 1]);
    const run = await failures.findRun('customers', 'last');
    expect(run).toMatchObject({ runId: 'run-1', chunks: 3, stored: 7, unstored: 0, mode: 'all' });
    expect(await failures.findRun('customers', 'run-1')).toEqual(run);
    expect((await readAll(failures, run!)).map((entry) => `${entry.kind}:${entry.id}`)).toEqual([
      'failed:c-0',
      'skipped:c-1',
      'failed:c-2',
      'skipped:c-3',
      'failed:c-4',
      'skipped:c-5',
      'failed:c-6',
    ]);
  });

  it('answers no run for an unknown id, and none as the latest before any run', async () => {
    const failures = new FailureStore(new MemoryStore(), fast);
    expect(await failures.findRun('customers', 'last')).toBeUndefined();
    expect(await failures.findRun('customers', 'no-such-run')).toBeUndefined();
  });

  it('names the newest run as the latest, and keeps the older one readable by id', async () => {
    const store = new MemoryStore();
    const first = recorderOf(store, 'run-1');
    first.recorder.add('failed', 'c-1', 'why');
    await first.recorder.close(1_000);
    const second = recorderOf(store, 'run-2');
    await second.recorder.close(1_000);

    expect(await second.failures.findRun('customers', 'last')).toMatchObject({ runId: 'run-2', stored: 0 });
    const older = await second.failures.findRun('customers', 'run-1');
    expect(await second.failures.failedIds(older!)).toEqual(['c-1']);
  });

  it('lists a resumed run after the runs it resumed, so its failed ids are the whole run’s', async () => {
    const store = new MemoryStore();
    const failures = new FailureStore(store, fast);
    const parts = [
      { runId: 'run-1', continues: undefined, failed: ['c-1'] },
      { runId: 'run-2', continues: 'run-1', failed: ['c-2', 'c-1'] },
      { runId: 'run-3', continues: 'run-2', failed: ['c-3'] },
    ];
    for (const { runId, continues, failed } of parts) {
      const recorder = failures.recorder(
        { runId, type: 'customers', mode: 'all', startedAt: '2026-01-01T00:00:00.000Z', continues },
        logger,
      );
      for (const id of failed) recorder.add('failed', id, 'why');
      await recorder.close(1_000);
    }

    const last = await failures.findRun('customers', 'last');
    expect(last).toMatchObject({ runId: 'run-3', continues: 'run-2', stored: 1 });
    expect((await readAll(failures, last!)).map((entry) => entry.id)).toEqual(['c-1', 'c-2', 'c-1', 'c-3']);
    expect(await failures.failedIds(last!)).toEqual(['c-1', 'c-2', 'c-3']);
  });

  it('gives the failed ids once each, leaving the skipped ones out', async () => {
    const store = new MemoryStore();
    const { failures, recorder } = recorderOf(store, 'run-1', { chunkSize: 2 });
    recorder.add('failed', 'c-1', 'Klaviyo refused the event: invalid bad at /data/0');
    recorder.add('failed', 'c-1', 'Klaviyo refused the event: invalid bad at /data/1');
    recorder.add('skipped', 'c-2', 'no customer');
    recorder.add('failed', 'c-3', 'not found in commercetools');
    await recorder.close(1_000);

    expect(await failures.failedIds((await failures.findRun('customers', 'run-1'))!)).toEqual(['c-1', 'c-3']);
  });

  it('holds at most the chunk being filled and the chunks waiting to be written, counting the rest as not stored', async () => {
    const store = new MemoryStore();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    store.fault = () => released;
    const { failures, recorder } = recorderOf(store, 'run-1', { chunkSize: 2, maxPendingChunks: 2 });
    for (let index = 0; index < 100; index++) recorder.add('failed', `c-${index}`, 'why');

    // The run's own object is still being written: two chunks wait, 48 found no room.
    expect(recorder.unstored).toBe(96);
    release();
    expect(await recorder.close(1_000)).toEqual({ stored: 4, unstored: 96 });
    const run = await failures.findRun('customers', 'run-1');
    expect(run).toMatchObject({ chunks: 2, stored: 4 });
    expect((await readAll(failures, run!)).map((entry) => entry.id)).toEqual(['c-0', 'c-1', 'c-2', 'c-3']);
  });

  it('tries a failed write again, and stores the chunk once commercetools answers', async () => {
    const store = new MemoryStore();
    let refusals = 2;
    store.fault = onWritesTo(
      (key) => key === 'run-1-0',
      (call) => {
        if (refusals-- > 0) unreachable(call);
      },
    );
    const { failures, recorder } = recorderOf(store, 'run-1', { chunkSize: 2 });
    recorder.add('failed', 'c-1', 'why');
    recorder.add('failed', 'c-2', 'why');

    expect(await recorder.close(1_000)).toEqual({ stored: 2, unstored: 0 });
    expect(store.calls.filter((call) => call.key === 'run-1-0')).toHaveLength(3);
    expect(await failures.failedIds((await failures.findRun('customers', 'run-1'))!)).toEqual(['c-1', 'c-2']);
  });

  it('counts a chunk whose every attempt failed as not stored, and goes on with the next under the same number', async () => {
    const store = new MemoryStore();
    let failing = true;
    store.fault = onWritesTo(
      (key) => key === 'run-1-0',
      (call) => {
        if (failing) unreachable(call);
      },
    );
    const { failures, recorder } = recorderOf(store, 'run-1', { chunkSize: 2 });
    recorder.add('failed', 'c-1', 'why');
    recorder.add('failed', 'c-2', 'why');
    // The first chunk has failed three times before the second is written.
    await new Promise<void>((resolve) => {
      const poll = () => (recorder.unstored > 0 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    failing = false;
    recorder.add('failed', 'c-3', 'why');

    expect(await recorder.close(1_000)).toEqual({ stored: 1, unstored: 2 });
    const run = await failures.findRun('customers', 'run-1');
    expect(run).toMatchObject({ chunks: 1, stored: 1, unstored: 2 });
    expect(await failures.failedIds(run!)).toEqual(['c-3']);
  });

  it('says in the run what its last chunk could not store', async () => {
    const store = new MemoryStore();
    store.fault = onWritesTo((key) => key === 'run-1-0', unreachable);
    const { failures, recorder } = recorderOf(store, 'run-1', { chunkSize: 5 });
    recorder.add('failed', 'c-1', 'why');
    recorder.add('failed', 'c-2', 'why');

    expect(await recorder.close(1_000)).toEqual({ stored: 0, unstored: 2 });
    expect(await failures.findRun('customers', 'last')).toMatchObject({ chunks: 0, stored: 0, unstored: 2 });
  });

  it('reads a run of many chunks in order, a few ahead', async () => {
    const store = new MemoryStore();
    const { failures, recorder } = recorderOf(store, 'run-1', { chunkSize: 2, readAhead: 3, maxPendingChunks: 20 });
    const ids = Array.from({ length: 25 }, (_, index) => `c-${String(index).padStart(2, '0')}`);
    for (const id of ids) recorder.add('failed', id, 'why');
    await recorder.close(1_000);

    const run = await failures.findRun('customers', 'run-1');
    expect(run).toMatchObject({ chunks: 13, stored: 25 });
    expect((await readAll(failures, run!)).map((entry) => entry.id)).toEqual(ids);
  });

  it('gives up writes still hanging at the close deadline, counting their entries as not stored', async () => {
    const store = new MemoryStore();
    store.fault = onWritesTo((key) => key.startsWith('run-1-'), hang);
    const { recorder } = recorderOf(store, 'run-1', { chunkSize: 2, callDeadlineMs: 60_000 });
    for (let index = 0; index < 5; index++) recorder.add('failed', `c-${index}`, 'why');

    expect(await recorder.close(50)).toEqual({ stored: 0, unstored: 5 });
    recorder.add('failed', 'late', 'why');
    expect(recorder.unstored).toBe(6);
  });

  it('bounds the size of each entry', async () => {
    const store = new MemoryStore();
    const { failures, recorder } = recorderOf(store, 'run-1', { maxReasonChars: 10 });
    recorder.add('failed', 'c-1', 'x'.repeat(10_000));
    await recorder.close(1_000);

    const [entry] = await readAll(failures, (await failures.findRun('customers', 'run-1'))!);
    expect(entry.reason).toBe('x'.repeat(10));
  });
});

describe('failureEntry', () => {
  it.each([
    [
      'Klaviyo refused the profile: invalid The phone number is invalid at /data/attributes/profiles/data/3/attributes/phone_number',
      { code: 'invalid', pointer: '/data/attributes/profiles/data/3/attributes/phone_number' },
    ],
    ['Klaviyo refused the item create: duplicate: The item already exists', { code: 'duplicate' }],
    ['Klaviyo refused the event: 400 Bad request', { code: '400' }],
    ['not found in commercetools', {}],
    ['Klaviyo cancelled the import job', {}],
  ])('reads Klaviyo’s code and pointer from %j', (reason, expected) => {
    expect(failureEntry('failed', 'r-1', reason)).toEqual({ id: 'r-1', kind: 'failed', reason, ...expected });
  });
});
