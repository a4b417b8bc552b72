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
 *   So is a refused token request (OAuth's 400 `invalid_scope` included): no request can go out.
 */
export type FailureKind = 'retry' | 'refusal' | 'fatal';

const contentRefusals = new Set([400, 409, 413, 422]);
const oauthRefusals = new Set([
  'invalid_client',
  'invalid_scope',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
]);

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
    /**
     * The platform's error code (`invalid_client`, `ResourceNotFound`, Klaviyo's `errors[0].code`),
     * or the network's (`ECONNREFUSED`), or `timeout` when no answer came within the deadline.
     */
    readonly code?: string,
  ) {
    super(`${platform} ${operation} failed${status ? ` with ${status}` : ''}: ${detail}`);
    this.name = 'PlatformError';
  }

  get kind(): FailureKind {
    if (this.status === undefined || this.status === 429 || this.status >= 500) return 'retry';
    return contentRefusals.has(this.status) && !oauthRefusals.has(this.code ?? '') ? 'refusal' : 'fatal';
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

/** "20 s", "0.2 s": a duration as a person reads it in a message. */
function inSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** The detail of a request that got no answer in time. */
export const noAnswerWithin = (ms: number) => `no answer within ${inSeconds(ms)}`;

/** Words for the codes a request fails with when no answer comes, so a log says what happened. */
const networkCauses: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNABORTED: 'connection aborted',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection broken',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer',
  UND_ERR_BODY_TIMEOUT: 'answer stalled',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * Names why a request got no answer, in words and code: "connection refused (ECONNREFUSED)".
 * fetch reports every network failure as `TypeError: fetch failed` with the socket's error as its
 * `cause`, so the chain of causes is searched for the first error that carries a code.
 */
export function describeNetworkFailure(error: unknown): { code?: string; detail: string } {
  let innermostMessage: string | undefined;
  for (
    let current = error as ErrorLike | undefined, depth = 0;
    current && depth < 5;
    current = current.cause as ErrorLike, depth++
  ) {
    if (typeof current.message === 'string' && current.message) innermostMessage = current.message;
    if (typeof current.code === 'string' && current.code) {
      const words = networkCauses[current.code] ?? innermostMessage ?? 'network error';
      return { code: current.code, detail: `${words} (${current.code})` };
    }
  }
  return { detail: innermostMessage ?? 'network error' };
}
