import { PlatformError } from '../clients/platform-error';

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
export function backoffDelayMs(attempt: number, policy: RetryPolicy, serverAskedMs?: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(jittered, serverAskedMs ?? 0);
}

/**
 * Runs `call` until it succeeds, fails with an error that is not retryable, or runs out of attempts.
 * Only PlatformErrors are retried: anything else is a bug and surfaces at once.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  options: { policy?: RetryPolicy; signal?: AbortSignal; onRetry?: (error: PlatformError, delayMs: number) => void } = {},
): Promise<T> {
  const policy = options.policy ?? defaultRetryPolicy;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof PlatformError) || !error.retryable || attempt >= policy.maxAttempts) throw error;
      const delayMs = backoffDelayMs(attempt, policy, error.retryAfterMs);
      options.onRetry?.(error, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}
