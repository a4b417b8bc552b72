/** What became of one item: undefined when the API took it, else why not. */
export type ItemFailure = string | undefined;

export interface BatchLimits<T> {
  maxItems: number;
  /** Serialized size of the items in one request, kept below the API's payload limit. */
  maxBytes: number;
  /**
   * Requests in flight at once; `add` waits while they are all busy and the batch is full, so
   * reading never runs ahead. Infinity where something else bounds them (the catalog's job slots).
   */
  concurrency: number;
  /** Size of one item as `maxBytes` counts it. */
  sizeOf(item: T): number;
  /**
   * A batch that is not full goes out this long after its first item came in. For senders fed by
   * other batches' outcomes (an item's variants), which no reader ends with a `flush`.
   */
  lingerMs?: number;
  /** Hears the error that stopped the sender, so those waiting elsewhere for its items stop waiting. */
  onStop?(error: unknown): void;
}

/**
 * What a sender says of each item it took, once: its request answered, or the sender stopped
 * first. Listeners rather than a promise per item: a profile job holds 10,000 items, and a promise
 * with its reactions for each was most of what the service held per record.
 */
export interface ItemOutcomes<T> {
  /** The item's request was answered: `failure` is undefined when the API took it, else why not. */
  answered(item: T, failure: ItemFailure): void;
  /**
   * The sender stopped before the item's request was answered. Leaving the item's page unsettled
   * keeps the checkpoint before it; the error itself surfaces through `add` and `flush`.
   */
  stopped?(item: T, error: unknown): void;
}

/**
 * The one way bulk requests are sent. Groups items into requests of at most `maxItems` and
 * `maxBytes`, sends up to `concurrency` of them at once, and tells each item's outcome as `send`
 * answers it: accepted, or refused with its reason. An error `send` throws (fatal, retries
 * exhausted, a stop) stops the sender: the items of that request and those gathered are told it,
 * and every later `add` and `flush` rejects with it, so nothing past it commits.
 */
export class BatchSender<T> {
  private batch: T[] = [];
  private batchBytes = 0;
  private lingerTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped?: { error: unknown };

  constructor(
    private readonly limits: BatchLimits<T>,
    /** Sends one request; answers the outcome of each item, in the order given. */
    private readonly send: (items: T[]) => Promise<ItemFailure[]>,
    private readonly outcomes: ItemOutcomes<T>,
  ) {}

  /**
   * Takes the item into a batch once there is room for it; rejects once the sender stopped. Await
   * it before adding more (backpressure); its outcome is told later.
   */
  async add(item: T): Promise<void> {
    const bytes = this.limits.sizeOf(item);
    // Several readers can find the same batch full and wait for room together: only the first to
    // get room sends it, the others then see a new batch and add to it. (Each sending whatever
    // batch was there when it got room sent requests of a few items, each spending one request of
    // the operation's rate limit.)
    while (this.batch.length > 0 && !this.fits(bytes)) {
      this.throwIfStopped();
      if (this.hasRoom()) this.dispatch();
      else await Promise.race(this.inFlight);
    }
    this.throwIfStopped();
    this.batch.push(item);
    this.batchBytes += bytes;
    if (this.batch.length >= this.limits.maxItems && this.hasRoom()) this.dispatch();
    else if (this.batch.length === 1 && this.limits.lingerMs !== undefined)
      this.startLinger(this.batch, this.limits.lingerMs);
  }

  /** Sends what is gathered, waits for every request in flight, then rejects if the sender stopped. */
  async flush(): Promise<void> {
    for (;;) {
      if (!this.stopped && this.batch.length > 0 && this.hasRoom()) this.dispatch();
      else if (this.inFlight.size > 0) await Promise.race(this.inFlight);
      else break;
    }
    this.throwIfStopped();
  }

  /**
   * Waits for the requests in flight without sending more. Call it however a run ends: a request
   * Klaviyo accepts after the run gave up would otherwise be missing from the checkpoint and sent
   * again on resume.
   */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  private fits(bytes: number): boolean {
    return this.batch.length < this.limits.maxItems && this.batchBytes + bytes <= this.limits.maxBytes;
  }

  private hasRoom(): boolean {
    return this.inFlight.size < this.limits.concurrency;
  }

  /** Sends `batch` once it lingered, unless it went out already; waits for room if there is none. */
  private startLinger(batch: T[], delayMs: number): void {
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.batch !== batch || this.stopped) return;
      if (this.hasRoom()) this.dispatch();
      else void Promise.race(this.inFlight).then(() => this.startLinger(batch, 0));
    }, delayMs);
  }

  /** Starts the request of the current batch (if any); the caller made sure there is room. */
  private dispatch(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.batch.length === 0 || this.stopped) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const request = this.send(batch)
      .then(
        (failures) => batch.forEach((item, index) => this.outcomes.answered(item, failures[index])),
        (error: unknown) => this.stop(error, batch),
      )
      // A listener that throws is a bug: it stops the sender, so that it surfaces and nothing commits past it.
      .catch((error: unknown) => this.stop(error, []));
    const tracked = request.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private stop(error: unknown, batch: T[]): void {
    if (!this.stopped) {
      this.stopped = { error };
      this.limits.onStop?.(error);
    }
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const item of [...batch, ...this.batch.splice(0)]) this.outcomes.stopped?.(item, this.stopped.error);
    this.batchBytes = 0;
  }

  private throwIfStopped(): void {
    if (this.stopped) throw this.stopped.error;
  }
}

/** Each item's failure in the order given, from refusals that name the items themselves. */
export function failuresInOrder<T>(
  items: readonly T[],
  refused: ReadonlyArray<{ record: T; reason: string }>,
): ItemFailure[] {
  const reasons = new Map(refused.map(({ record, reason }) => [record, reason]));
  return items.map((item) => reasons.get(item));
}
