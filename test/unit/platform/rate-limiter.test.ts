import { OperationRateLimiter } from '../../../src/platform/rate-limiter';

describe('OperationRateLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  /** Times (ms since start) at which each of `count` acquisitions was granted. */
  async function grantTimes(limiter: OperationRateLimiter, count: number, runForMs: number): Promise<number[]> {
    const granted: number[] = [];
    for (let index = 0; index < count; index++) void limiter.acquire().then(() => granted.push(Date.now()));
    await jest.advanceTimersByTimeAsync(runForMs);
    return granted;
  }

  it('lets a burst through at once and holds the next request until the burst window has passed', async () => {
    const limiter = new OperationRateLimiter({ burstPerSecond: 10, steadyPerMinute: 1000 }, { burst: 300, steady: 0 });
    const granted = await grantTimes(limiter, 11, 5_000);
    expect(granted.slice(0, 10)).toEqual(new Array(10).fill(0));
    expect(granted[10]).toBe(1_300);
  });

  it('never grants more than the steady limit in any minute', async () => {
    const limiter = new OperationRateLimiter({ burstPerSecond: 10, steadyPerMinute: 30 }, { burst: 0, steady: 0 });
    const granted = await grantTimes(limiter, 40, 130_000);
    expect(granted).toHaveLength(40);
    for (const start of granted) {
      expect(granted.filter((time) => time >= start && time < start + 60_000).length).toBeLessThanOrEqual(30);
    }
    expect(granted[30]).toBe(60_000);
  });

  it('serves callers in arrival order, and a caller that gives up does not block the next', async () => {
    const limiter = new OperationRateLimiter({ burstPerSecond: 1, steadyPerMinute: 100 }, { burst: 0, steady: 0 });
    await limiter.acquire();
    const controller = new AbortController();
    const abandoned = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort(new Error('stopped'));
    await expect(abandoned).rejects.toThrow('stopped');
    let nextGrantedAt = -1;
    void next.then(() => (nextGrantedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(2_000);
    expect(nextGrantedAt).toBe(1_000);
  });

  it('lets a caller that gives up go at once, though others are still ahead of it in the queue', async () => {
    const limiter = new OperationRateLimiter({ burstPerSecond: 1, steadyPerMinute: 1 }, { burst: 0, steady: 0 });
    await limiter.acquire();
    const ahead = limiter.acquire();
    const controller = new AbortController();
    const abandoned = limiter.acquire(controller.signal);
    controller.abort(new Error('stopped'));
    await expect(abandoned).rejects.toThrow('stopped');
    expect(Date.now()).toBe(0);
    let aheadGrantedAt = -1;
    void ahead.then(() => (aheadGrantedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(61_000);
    expect(aheadGrantedAt).toBe(60_000);
  });
});
