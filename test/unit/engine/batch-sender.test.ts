import { BatchSender, type BatchEntry } from '../../../src/engine/batch-sender';
import { CommitTracker } from '../../../src/engine/checkpoints';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('BatchSender', () => {
  it('cuts batches at the item limit and at the byte limit', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const sent: string[][] = [];
    const sender = new BatchSender<string>(
      { maxItems: 3, maxBytes: 10, concurrency: 1 },
      tracker,
      async (batch) => void sent.push(batch.map((entry) => entry.item)),
      (item) => item.length,
    );
    const ticket = tracker.openPage(0, 'z', 6);
    for (const item of ['a', 'b', 'c', 'd', 'eeeeeeee', 'ff']) await sender.add({ item, recordId: item, ticket });
    await sender.flush();
    expect(sent).toEqual([['a', 'b', 'c'], ['d', 'eeeeeeee'], ['ff']]);
    expect(tracker.positions()[0].afterId).toBe('z');
  });

  it('keeps at most `concurrency` requests in flight and settles a page only when its batch went through', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const gates = [deferred(), deferred()];
    let inFlight = 0;
    let maxInFlight = 0;
    let call = 0;
    const sender = new BatchSender<number>({ maxItems: 1, maxBytes: 100, concurrency: 1 }, tracker, async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await gates[call++].promise;
      inFlight--;
    }, () => 1);
    const page = tracker.openPage(0, 'p', 2);
    await sender.add({ item: 1, recordId: '1', ticket: page });
    const secondAdd = sender.add({ item: 2, recordId: '2', ticket: page });
    const finished = secondAdd.then(() => sender.flush());
    await new Promise((resolve) => setImmediate(resolve));
    expect(tracker.positions()[0].afterId).toBeUndefined();
    gates[0].resolve();
    gates[1].resolve();
    await finished;
    expect(maxInFlight).toBe(1);
    expect(tracker.positions()[0].afterId).toBe('p');
  });

  it('stops after a request fails for good: nothing after it commits and the failure surfaces', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const sender = new BatchSender<number>({ maxItems: 1, maxBytes: 100, concurrency: 2 }, tracker, async (batch: BatchEntry<number>[]) => {
      if (batch[0].item === 1) throw new Error('Klaviyo refused');
    }, () => 1);
    const first = tracker.openPage(0, 'a', 1);
    await sender.add({ item: 1, recordId: '1', ticket: first });
    await expect(sender.flush()).rejects.toThrow('Klaviyo refused');
    await expect(sender.add({ item: 2, recordId: '2', ticket: tracker.openPage(0, 'b', 1) })).rejects.toThrow('Klaviyo refused');
    expect(tracker.positions()[0].afterId).toBeUndefined();
  });

  it('sends full batches when several readers wait for room at once, never the few items added meanwhile', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const sizes: number[] = [];
    let release = deferred();
    const sender = new BatchSender<number>({ maxItems: 10, maxBytes: 1_000, concurrency: 1 }, tracker, async (batch) => {
      sizes.push(batch.length);
      await release.promise;
    }, () => 1);
    const ticket = tracker.openPage(0, 'p', 4 * 25);
    // Four readers adding at once, as the orders and customers importers do.
    const readers = [0, 1, 2, 3].map(async (reader) => {
      for (let index = 0; index < 25; index++) await sender.add({ item: reader * 100 + index, recordId: String(index), ticket });
    });
    const releaser = setInterval(() => {
      release.resolve();
      release = deferred();
    }, 1);
    await Promise.all(readers);
    await sender.flush();
    clearInterval(releaser);
    expect(sizes).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(tracker.positions()[0].afterId).toBe('p');
  });
});
