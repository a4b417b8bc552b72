/** A failed call to commercetools or Klaviyo, reduced to what retry logic and logs may see. */
export class PlatformError extends Error {
  constructor(
    readonly platform: 'commercetools' | 'klaviyo',
    readonly operation: string,
    /** HTTP status; undefined when no answer came back (network error, timeout). */
    readonly status: number | undefined,
    /** A short reason from the answer's error body, never the request. */
    readonly detail: string,
    /** From Retry-After on a 429. */
    readonly retryAfterMs?: number,
  ) {
    super(`${platform} ${operation} failed${status ? ` with ${status}` : ''}: ${detail}`);
    this.name = 'PlatformError';
  }

  /** 429, 5xx and lost connections may succeed when sent again; other answers will not. */
  get retryable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }
}

/** Reads a Retry-After header given in seconds (Klaviyo and commercetools send seconds). */
export function retryAfterMs(value: unknown): number | undefined {
  const seconds = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
