import { PlatformError } from '../../../src/clients/platform-error';
import { backoffDelayMs, withRetry } from '../../../src/engine/retry';

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
