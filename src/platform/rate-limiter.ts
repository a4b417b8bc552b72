import { sleep } from './retry';

export interface RateLimit {
  /** Requests allowed in any one second. */
  burstPerSecond: number;
  /** Requests allowed in any one minute. */
  steadyPerMinute: number;
}

/**
 * Timestamps of the last `capacity` grants: the oldest one tells when the window has room again.
 */
class SlidingWindow {
  private readonly grants: number[];
  private next = 0;

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
  ) {
    this.grants = new Array<number>(capacity).fill(-Infinity);
  }

  /** Milliseconds until one more request fits, 0 when it fits now. */
  waitMs(now: number): number {
    return Math.max(0, this.grants[this.next] + this.windowMs - now);
  }

  record(now: number): void {
    this.grants[this.next] = now;
    this.next = (this.next + 1) % this.capacity;
  }
}

/**
 * Keeps one operation's requests under both of Klaviyo's windows (burst per second, steady per
 * minute), so an import runs just under the ceiling instead of bouncing off 429 answers.
 * Windows are a little longer than Klaviyo's: the server counts a request when it handles it, and
 * latency or a busy server can bunch requests that left here far enough apart.
 */
export class OperationRateLimiter {
  private readonly burst: SlidingWindow;
  private readonly steady: SlidingWindow;
  private queue: Promise<void> = Promise.resolve();

  /** `marginMs`: how much longer than 1 s (burst) and 60 s (steady) the windows count. */
  constructor(limit: RateLimit, marginMs: { burst: number; steady: number }) {
    this.burst = new SlidingWindow(limit.burstPerSecond, 1_000 + marginMs.burst);
    this.steady = new SlidingWindow(limit.steadyPerMinute, 60_000 + marginMs.steady);
  }

  /**
   * Resolves when the caller may send one request; callers are served in arrival order. When
   * `signal` aborts, rejects at once with its reason, even while others are still ahead in the queue.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        signal?.throwIfAborted();
        const now = Date.now();
        const waitMs = Math.max(this.burst.waitMs(now), this.steady.waitMs(now));
        if (waitMs === 0) {
          this.burst.record(now);
          this.steady.record(now);
          return;
        }
        await sleep(waitMs, signal);
      }
    });
    // A caller that gave up must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return signal ? untilAborted(turn, signal) : turn;
  }
}

/** Settles as `promise` does, or rejects with the signal's reason as soon as it aborts. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
