import { BatchSender, type ItemFailure, type ItemOutcomes } from '../../../src/engine/batch-sender';
import { CommitTracker, type PageTicket } from '../../../src/engine/checkpoints';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const accepted = (items: unknown[]): ItemFailure[] => items.map(() => undefined);

/** Listeners that keep what the sender told of each item. */
function told<T>(): ItemOutcomes<T> & { answers: Map<T, ItemFailure>; stops: Map<T, unknown> } {
  const answers = new Map<T, ItemFailure>();
  const stops = new Map<T, unknown>();
  return {
    answers,
    stops,
    answered: (item, failure) => answers.set(item, failure),
    stopped: (item, error) => stops.set(item, error),
  };
}

/** Listeners that settle one unit of each item's page once it is answered, as the importers do. */
function pageSettling<T>(tracker: CommitTracker): ItemOutcomes<T> & { pageOf: Map<T, PageTicket> } {
  const pageOf = new Map<T, PageTicket>();
  return { pageOf, answered: (item) => tracker.settle(pageOf.get(item)!) };
}

/** Adds the item to `ticket`'s page. */
async function addToPage<T>(
  sender: BatchSender<T>,
  outcomes: { pageOf: Map<T, PageTicket> },
  item: T,
  ticket: PageTicket,
): Promise<void> {
  outcomes.pageOf.set(item, ticket);
  await sender.add(item);
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
    const outcomes = pageSettling<string>(tracker);
    const sender = new BatchSender<string>(
      { maxItems: 3, maxBytes: 10, concurrency: 1, sizeOf: (item) => item.length },
      async (batch) => {
        sent.push([...batch]);
        return accepted(batch);
      },
      outcomes,
    );
    const ticket = tracker.openPage(0, 'z', 6);
    for (const item of ['a', 'b', 'c', 'd', 'eeeeeeee', 'ff']) await addToPage(sender, outcomes, item, ticket);
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
    const outcomes = pageSettling<number>(tracker);
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 100, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await gates[call++].promise;
        inFlight--;
        return accepted(batch);
      },
      outcomes,
    );
    const page = tracker.openPage(0, 'p', 2);
    await addToPage(sender, outcomes, 1, page);
    const secondAdd = addToPage(sender, outcomes, 2, page);
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
    const outcomes = pageSettling<number>(tracker);
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 100, concurrency: 2, sizeOf: () => 1 },
      async (batch) => {
        if (batch[0] === 1) throw new Error('Klaviyo refused');
        return accepted(batch);
      },
      outcomes,
    );
    const first = tracker.openPage(0, 'a', 1);
    await addToPage(sender, outcomes, 1, first);
    await expect(sender.flush()).rejects.toThrow('Klaviyo refused');
    await expect(addToPage(sender, outcomes, 2, tracker.openPage(0, 'b', 1))).rejects.toThrow('Klaviyo refused');
    expect(tracker.positions()[0].afterId).toBeUndefined();
  });

  it('sends full batches when several readers wait for room at once, never the few items added meanwhile', async () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const sizes: number[] = [];
    let release = deferred();
    const outcomes = pageSettling<number>(tracker);
    const sender = new BatchSender<number>(
      { maxItems: 10, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        sizes.push(batch.length);
        await release.promise;
        return accepted(batch);
      },
      outcomes,
    );
    const ticket = tracker.openPage(0, 'p', 4 * 25);
    // Four readers adding at once, as the orders and customers importers do.
    const readers = [0, 1, 2, 3].map(async (reader) => {
      for (let index = 0; index < 25; index++) await addToPage(sender, outcomes, reader * 100 + index, ticket);
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

  it('tells each item its own outcome, once, in the order of the request', async () => {
    const outcomes = told<string>();
    const order: string[] = [];
    const sender = new BatchSender<string>(
      { maxItems: 10, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => batch.map((item) => (item.startsWith('bad') ? `refused ${item}` : undefined)),
      {
        answered: (item, failure) => {
          order.push(item);
          outcomes.answered(item, failure);
        },
      },
    );
    for (const item of ['a', 'bad-b', 'c']) await sender.add(item);
    await sender.flush();
    expect([...outcomes.answers]).toEqual([
      ['a', undefined],
      ['bad-b', 'refused bad-b'],
      ['c', undefined],
    ]);
    expect(order).toEqual(['a', 'bad-b', 'c']);
  });

  it('stops when a listener throws, so that the bug surfaces and nothing after it is sent', async () => {
    const sent: number[][] = [];
    const bug = new Error('listener bug');
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        sent.push([...batch]);
        return accepted(batch);
      },
      {
        answered: () => {
          throw bug;
        },
      },
    );
    await sender.add(1);
    await expect(sender.flush()).rejects.toBe(bug);
    await expect(sender.add(2)).rejects.toBe(bug);
    expect(sent).toEqual([[1]]);
  });

  it('makes `add` wait while every request is in flight and the batch is full (backpressure)', async () => {
    const gate = deferred();
    const sender = new BatchSender<number>(
      { maxItems: 2, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        await gate.promise;
        return accepted(batch);
      },
      told<number>(),
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

  it('on a fatal error tells the items of that request and those gathered, and calls onStop once', async () => {
    const outage = new Error('Klaviyo out of reach');
    const onStop = jest.fn();
    const gate = deferred();
    const outcomes = told<number>();
    const sender = new BatchSender<number>(
      { maxItems: 2, maxBytes: 1_000, concurrency: 2, sizeOf: () => 1, onStop },
      async () => {
        await gate.promise;
        throw outage;
      },
      outcomes,
    );
    // 1 and 2 fill a request that goes out; 3 is gathered behind it.
    for (const item of [1, 2, 3]) await sender.add(item);
    gate.resolve();
    await expect(sender.flush()).rejects.toBe(outage);
    expect([...outcomes.stops]).toEqual([
      [1, outage],
      [2, outage],
      [3, outage],
    ]);
    expect(outcomes.answers.size).toBe(0);
    await expect(sender.add(4)).rejects.toBe(outage);
    expect(onStop).toHaveBeenCalledTimes(1);
    expect(onStop).toHaveBeenCalledWith(outage);
  });

  it('drains the requests in flight without sending what is gathered', async () => {
    const sent: number[][] = [];
    const gate = deferred();
    const outcomes = told<number>();
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1 },
      async (batch) => {
        sent.push([...batch]);
        await gate.promise;
        return accepted(batch);
      },
      outcomes,
    );
    await sender.add(1);
    // Gathered behind the full request: draining leaves it.
    await sender.add(2);
    let drained = false;
    const draining = sender.drain().then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    gate.resolve();
    await draining;
    expect([...outcomes.answers]).toEqual([[1, undefined]]);
    expect(sent).toEqual([[1]]);
  });

  it('sends a batch that is not full once it lingered, with no flush', async () => {
    const sent: number[][] = [];
    const outcomes = told<number>();
    const sender = new BatchSender<number>(
      { maxItems: 100, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1, lingerMs: 10 },
      async (batch) => {
        sent.push([...batch]);
        return accepted(batch);
      },
      outcomes,
    );
    await sender.add(1);
    await sender.add(2);
    await until(() => outcomes.answers.size === 2);
    expect(sent).toEqual([[1, 2]]);
  });

  it('sends a lingering batch once a request in flight makes room', async () => {
    const sent: number[][] = [];
    const gate = deferred();
    const outcomes = told<number>();
    const sender = new BatchSender<number>(
      { maxItems: 1, maxBytes: 1_000, concurrency: 1, sizeOf: () => 1, lingerMs: 10 },
      async (batch) => {
        sent.push([...batch]);
        if (batch[0] === 1) await gate.promise;
        return accepted(batch);
      },
      outcomes,
    );
    await sender.add(1);
    await sender.add(2);
    await until(() => sent.length === 1);
    gate.resolve();
    await until(() => outcomes.answers.has(2));
    expect(sent).toEqual([[1], [2]]);
  });
});
