import { PlatformError } from '../../../src/platform/platform-error';
import { backoffDelayMs, withRetry } from '../../../src/platform/retry';

const policy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

function failingTimes(failures: PlatformError[]) {
  let calls = 0;
  const call = jest.fn(async () => {
    if (calls < failures.length) throw failures[calls++];
    calls++;
    return 'done';
  });
  return call;
}

describe('withRetry', () => {
  it.each([
    ['429', new PlatformError('klaviyo', 'op', 429, 'throttled', 0)],
    ['503', new PlatformError('klaviyo', 'op', 503, 'unavailable')],
    ['a lost connection', new PlatformError('commercetools', 'op', undefined, 'ECONNRESET')],
  ])('retries after %s and returns the later success', async (_name, failure) => {
    const call = failingTimes([failure, failure]);
    await expect(withRetry(call, { policy })).resolves.toBe('done');
    expect(call).toHaveBeenCalledTimes(3);
  });

  it.each([400, 401, 404, 409, 413])('does not retry %i', async (status) => {
    const call = failingTimes([new PlatformError('klaviyo', 'op', status, 'no')]);
    await expect(withRetry(call, { policy })).rejects.toMatchObject({ status });
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('gives up after the last attempt with the last error', async () => {
    const failure = new PlatformError('klaviyo', 'op', 500, 'broken');
    const call = failingTimes([failure, failure, failure, failure, failure]);
    await expect(withRetry(call, { policy })).rejects.toBe(failure);
    expect(call).toHaveBeenCalledTimes(4);
  });

  it('does not retry errors that are not platform errors (bugs surface at once)', async () => {
    const call = jest.fn(async () => {
      throw new TypeError('undefined is not a function');
    });
    await expect(withRetry(call, { policy })).rejects.toThrow(TypeError);
    expect(call).toHaveBeenCalledTimes(1);
  });
});

describe('withRetry when its signal aborts', () => {
  const slowPolicy = { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
  const refused = () => new PlatformError('commercetools', 'op', undefined, 'connection refused (ECONNREFUSED)');

  /** Runs withRetry over a call that always fails with a fresh `failure()`, and reports each attempt. */
  function failingForever(failure: () => Error, signal: AbortSignal) {
    let attempts = 0;
    let attempted: () => void = () => undefined;
    const firstAttempt = new Promise<void>((resolve) => (attempted = resolve));
    const result = withRetry(
      async () => {
        attempts++;
        attempted();
        throw failure();
      },
      { policy: slowPolicy, signal },
    );
    return { result, firstAttempt, attempts: () => attempts };
  }

  it('rejects at once with the reason of a stop while waiting for the next attempt', async () => {
    const stop = new AbortController();
    const retried = failingForever(refused, stop.signal);
    await retried.firstAttempt;
    const stopped = new Error('import stopped');
    stop.abort(stopped);
    await expect(retried.result).rejects.toBe(stopped);
    expect(retried.attempts()).toBe(1);
  });

  it("rejects with the last platform error when the caller's deadline passes while waiting", async () => {
    const retried = failingForever(refused, AbortSignal.timeout(50));
    await expect(retried.result).rejects.toMatchObject({ detail: 'connection refused (ECONNREFUSED)' });
    expect(retried.attempts()).toBe(1);
  });

  it("rejects with the deadline's reason when no attempt failed before it", async () => {
    const deadline = AbortSignal.timeout(1);
    await new Promise((resolve) => deadline.addEventListener('abort', resolve));
    const call = jest.fn(async () => 'done');
    await expect(withRetry(call, { signal: deadline })).rejects.toBe(deadline.reason);
    expect(call).not.toHaveBeenCalled();
  });

  it('makes no further attempt when an attempt fails after a stop', async () => {
    const stop = new AbortController();
    const stopped = new Error('import stopped');
    const call = jest.fn(async () => {
      stop.abort(stopped);
      throw new PlatformError('klaviyo', 'op', 503, 'unavailable');
    });
    await expect(withRetry(call, { policy, signal: stop.signal })).rejects.toBe(stopped);
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('returns an answer that is not retryable as it is, even after a stop', async () => {
    const stop = new AbortController();
    const refusal = new PlatformError('klaviyo', 'op', 400, 'invalid');
    const call = jest.fn(async () => {
      stop.abort(new Error('import stopped'));
      throw refusal;
    });
    await expect(withRetry(call, { policy, signal: stop.signal })).rejects.toBe(refusal);
  });
});

describe('backoffDelayMs', () => {
  const backoff = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };
  it.each([
    [1, 0, 50],
    [1, 1, 100],
    [3, 1, 400],
    [8, 1, 1_000],
  ])('attempt %i with jitter %f waits %i ms', (attempt, jitter, expected) => {
    expect(backoffDelayMs(attempt, backoff, undefined, () => jitter)).toBe(expected);
  });

  it('waits at least as long as Retry-After asked', () => {
    expect(backoffDelayMs(1, backoff, 7_000, () => 0)).toBe(7_000);
  });
});
