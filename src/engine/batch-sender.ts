import type { CommitTracker, PageTicket } from './checkpoints';

export interface BatchEntry<T> {
  item: T;
  /** The commercetools record this item came from, for failures. */
  recordId: string;
  /** The page this item counts toward; one item is one unit of its ticket. */
  ticket: PageTicket;
}

interface BatchLimits {
  maxItems: number;
  /** Serialized size of the items in one request, kept below the API's payload limit. */
  maxBytes: number;
  /** Requests in flight at once; `add` waits while they are all busy, so reading never runs ahead. */
  concurrency: number;
}

/**
 * Groups items into requests of at most `maxItems` and `maxBytes`, sends up to `concurrency` of
 * them at once, and settles each item's page ticket when its request went through. A request that
 * fails for good stops the sender: the next `add` or `flush` throws, and nothing past it commits.
 */
export class BatchSender<T> {
  private batch: BatchEntry<T>[] = [];
  private batchBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly limits: BatchLimits,
    private readonly tracker: CommitTracker,
    private readonly send: (batch: BatchEntry<T>[]) => Promise<void>,
    private readonly sizeOf: (item: T) => number,
  ) {}

  async add(entry: BatchEntry<T>): Promise<void> {
    this.throwIfFailed();
    const bytes = this.sizeOf(entry.item);
    // Several readers can find the same batch full and wait for room together: only the first to
    // get room sends it, the others then see a new batch and add to it. (Each sending whatever
    // batch was there when it got room sent requests of a few items, each spending one request of
    // the operation's rate limit.)
    while (this.batch.length > 0 && !this.fits(bytes)) {
      await this.roomInFlight();
      if (this.batch.length > 0 && !this.fits(bytes)) this.dispatch();
    }
    this.batch.push(entry);
    this.batchBytes += bytes;
  }

  /** Sends what is left and waits for every request in flight. */
  async flush(): Promise<void> {
    if (this.batch.length > 0) {
      await this.roomInFlight();
      this.dispatch();
    }
    await this.drain();
    this.throwIfFailed();
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

  /** Resolves once fewer than `concurrency` requests are in flight; throws once a request failed for good. */
  private async roomInFlight(): Promise<void> {
    while (this.inFlight.size >= this.limits.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /** Starts the request of the current batch (if any); the caller made sure there is room. */
  private dispatch(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const request = this.send(batch).then(
      () => {
        for (const entry of batch) this.tracker.settle(entry.ticket);
      },
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    const tracked = request.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
