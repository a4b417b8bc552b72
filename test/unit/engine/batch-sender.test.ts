import { BatchSender, settleWhenAnswered, type ItemFailure } from '../../../src/engine/batch-sender';
import { CommitTracker, type PageTicket } from '../../../src/engine/checkpoints';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const accepted = (items: unknown[]): ItemFailure[] => items.map(() => undefined);

/** Adds the item and settles one unit of `ticket` once it is answered, as the importers do. */
async function addToPage<T>(
  sender: BatchSender<T>,
  tracker: CommitTracker,
  item: T,
  ticket: PageTicket,
): Promise<void> {
  settleWhenAnswered(await sender.add(item), tracker, ticket, () => undefined);
}

/** Polls until `condition` holds; fails after a generous deadline. */
async function until(condition: () => boolean, deadlineMs = 5_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('BatchSender', () => {
  it('cuts batches at the item limit and at the byte limit', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const sent: string[][] = [];
    const sender = new BatchSender<string>(
      { maxItems: 3, maxBytes: 10, concurrency: 1, sizeOf: (item) => item.length },
      async (batch) => {
        sent.push(batch);
        return accepted(batch);
      },
    );
    const ticket = tracker.openPage(0, 'z', 6);
    for (const item of ['a', 'b', 'c', 'd', 'eeeeeeee', 'ff']) await addToPage(sender, tracker, item, ticket);
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
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 100, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await gates[call++].promise;
        inFlight--;
        return accepted(batch);
      },
    );
    const page = tracker.openPage(0, 'p', 2);
    await addToPage(sender, tracker, 1, page);
    const secondAdd = addToPage(sender, tracker, 2, page);
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
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 100, concurrency: 2, sizeOf: () => 1 },
      async (batch) => {
        if (batch[0] === 1) throw new Error('Klaviyo refused');
        return accepted(batch);
      },
    );
    const first = tracker.openPage(0, 'a', 1);
    await addToPage(sender, tracker, 1, first);
    await expect(sender.flush()).rejects.toThrow('Klaviyo refused');
    await expect(addToPage(sender, tracker, 2, tracker.openPage(0, 'b', 1))).rejects.toThrow('Klaviyo refused');
    expect(tracker.positions()[0].afterId).toBeUndefined();
  });

  it('sends full batches when several readers wait for room at once, never the few items added meanwhile', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const sizes: number[] = [];
    let release = deferred();
    const sender = new BatchSender<number>(
      { maxItems: 10, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        sizes.push(batch.length);
        await release.promise;
        return accepted(batch);
      },
    );
    const ticket = tracker.openPage(0, 'p', 4 * 25);
    // Four readers adding at once, as the orders and customers importers do.
    const readers = [0, 1, 2, 3].map(async (reader) => {
      for (let index = 0; index < 25; index++) await addToPage(sender, tracker, reader * 100 + index, ticket);
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

  it('answers each item with its own outcome, and a refused item still settles its page after its failure is counted', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const sender = new BatchSender<string>(
      { maxItems: 10, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => batch.map((item) => (item.startsWith('bad') ? `refused ${item}` : undefined)),
    );
    const ticket = tracker.openPage(0, 'p', 3);
    const counted: string[] = [];
    const outcomes = [];
    for (const item of ['a', 'bad-b', 'c']) {
      const added = await sender.add(item);
      settleWhenAnswered(added, tracker, ticket, (reason) =>
        counted.push(`${reason} before settle: ${ticket.pending}`),
      );
      outcomes.push(added.outcome);
    }
    await sender.flush();
    await expect(Promise.all(outcomes)).resolves.toEqual([undefined, 'refused bad-b', undefined]);
    expect(counted).toEqual(['refused bad-b before settle: 2']);
    expect(tracker.positions()[0].afterId).toBe('p');
  });

  it('makes `add` wait while every request is in flight and the batch is full (backpressure)', async () => {
    const gate = deferred();
    const sender = new BatchSender<number>(
      { maxItems: 2, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        await gate.promise;
        return accepted(batch);
      },
    );
    // The first two go out at once; the next two fill the batch; the fifth has no room.
    for (const item of [1, 2, 3, 4]) await sender.add(item);
    let fifthTaken = false;
    const fifth = sender.add(5).then(() => (fifthTaken = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fifthTaken).toBe(false);
    gate.resolve();
    await fifth;
    await sender.flush();
    expect(fifthTaken).toBe(true);
  });

  it('on a fatal error rejects the items of that request and those gathered, and calls onStop once', async () => {
    const outage = new Error('Klaviyo out of reach');
    const onStop = jest.fn();
    const gate = deferred();
    const sender = new BatchSender<number>(
      { maxItems: 2, maxBytes: 1_000, concurrency: 2, sizeOf: () => 1, onStop },
      async () => {
        await gate.promise;
        throw outage;
      },
    );
    const inRequest = [await sender.add(1), await sender.add(2)];
    const gathered = await sender.add(3);
    gate.resolve();
    for (const added of [...inRequest, gathered]) await expect(added.outcome).rejects.toBe(outage);
    await expect(sender.flush()).rejects.toBe(outage);
    await expect(sender.add(4)).rejects.toBe(outage);
    expect(onStop).toHaveBeenCalledTimes(1);
    expect(onStop).toHaveBeenCalledWith(outage);
  });

  it('drains the requests in flight without sending what is gathered', async () => {
    const sent: number[][] = [];
    const gate = deferred();
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        sent.push(batch);
        await gate.promise;
        return accepted(batch);
      },
    );
    const first = await sender.add(1);
    // Gathered behind the full request: draining leaves it.
    await sender.add(2);
    let drained = false;
    const draining = sender.drain().then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    gate.resolve();
    await draining;
    await expect(first.outcome).resolves.toBeUndefined();
    expect(sent).toEqual([[1]]);
  });

  it('sends a batch that is not full once it lingered, with no flush', async () => {
    const sent: number[][] = [];
    const sender = new BatchSender<number>(
      { maxItems: 100, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1, lingerMs: 10 },
      async (batch) => {
        sent.push(batch);
        return accepted(batch);
      },
    );
    const added = [await sender.add(1), await sender.add(2)];
    await expect(Promise.all(added.map((each) => each.outcome))).resolves.toEqual([undefined, undefined]);
    expect(sent).toEqual([[1, 2]]);
  });

  it('sends a lingering batch once a request in flight makes room', async () => {
    const sent: number[][] = [];
    const gate = deferred();
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1, lingerMs: 10 },
      async (batch) => {
        sent.push(batch);
        if (batch[0] === 1) await gate.promise;
        return accepted(batch);
      },
    );
    await sender.add(1);
    const second = await sender.add(2);
    await until(() => sent.length === 1);
    gate.resolve();
    await expect(second.outcome).resolves.toBeUndefined();
    expect(sent).toEqual([[1], [2]]);
  });
});
