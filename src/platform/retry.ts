import { PlatformError } from './platform-error';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 30_000 };

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter, never shorter than what the server asked for. */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  serverAskedMs?: number,
  random = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(jittered, serverAskedMs ?? 0);
}

/**
 * True when an abort reason is a caller's deadline rather than a stop: the reason
 * `AbortSignal.timeout()` gives (compared by name, since jest and Node each have a DOMException).
 */
export function isCallerDeadline(reason: unknown): boolean {
  return (reason as Error | undefined)?.name === 'TimeoutError';
}

/**
 * Runs `call` until it succeeds, fails with an error that is not retryable, or runs out of attempts.
 * Only PlatformErrors are retried: anything else is a bug and surfaces at once.
 *
 * When `signal` aborts (before an attempt, during one, or while waiting for the next, a 429's
 * Retry-After included), no further attempt is made and the promise rejects at once with:
 * - the signal's reason when it is a stop (any reason but a deadline's);
 * - the last retryable PlatformError when the signal is a caller's deadline (`AbortSignal.timeout`,
 *   alone or within `AbortSignal.any`) and an attempt failed, so that a caller bound by a deadline
 *   reports what kept failing ("connection refused") rather than that its time ran out; the
 *   signal's reason when no attempt failed yet.
 * An answer that is not retryable (a refusal, 401, 404) is returned as it is, aborted or not.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  options: {
    policy?: RetryPolicy;
    signal?: AbortSignal;
    onRetry?: (error: PlatformError, delayMs: number) => void;
  } = {},
): Promise<T> {
  const { signal } = options;
  const policy = options.policy ?? defaultRetryPolicy;
  let lastFailure: PlatformError | undefined;
  const whyStopped = (): unknown => (isCallerDeadline(signal?.reason) && lastFailure ? lastFailure : signal?.reason);
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw whyStopped();
    let failure: PlatformError;
    try {
      return await call();
    } catch (error) {
      const retryable = error instanceof PlatformError && error.retryable;
      if (retryable) lastFailure = error;
      if (signal?.aborted && (retryable || error === signal.reason)) throw whyStopped();
      if (!retryable || attempt >= policy.maxAttempts) throw error;
      failure = error;
    }
    const delayMs = backoffDelayMs(attempt, policy, failure.retryAfterMs);
    options.onRetry?.(failure, delayMs);
    await sleep(delayMs, signal).catch(() => {
      throw whyStopped();
    });
  }
}
