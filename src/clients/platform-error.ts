/** One error Klaviyo (or commercetools) named in a refusal: what was wrong, and where in the request. */
export interface RefusalProblem {
  code: string;
  detail: string;
  /** JSON pointer into the request body (Klaviyo's `source.pointer`), when the answer gave one. */
  pointer?: string;
}

/**
 * What an answer means for the records that were sent, the same rule for every importer:
 * - `retry`: 429, 5xx, a timeout or a lost connection; sending the same request again may work.
 * - `refusal`: 400, 409, 413, 422; the request's content was refused, so only its records fail.
 * - `fatal`: 401, 403, 404 and anything else; every request would get the same, so the run fails.
 */
export type FailureKind = 'retry' | 'refusal' | 'fatal';

const contentRefusals = new Set([400, 409, 413, 422]);

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
    /** Every error a refusal named, with its pointer, so the records it concerns can be set aside. */
    readonly problems: RefusalProblem[] = [],
  ) {
    super(`${platform} ${operation} failed${status ? ` with ${status}` : ''}: ${detail}`);
    this.name = 'PlatformError';
  }

  get kind(): FailureKind {
    if (this.status === undefined || this.status === 429 || this.status >= 500) return 'retry';
    return contentRefusals.has(this.status) ? 'refusal' : 'fatal';
  }

  /** 429, 5xx and lost connections may succeed when sent again; other answers will not. */
  get retryable(): boolean {
    return this.kind === 'retry';
  }
}

/** Reads a Retry-After header given in seconds (Klaviyo and commercetools send seconds). */
export function retryAfterMs(value: unknown): number | undefined {
  const seconds = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
