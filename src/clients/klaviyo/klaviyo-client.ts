import { AsyncLocalStorage } from 'node:async_hooks';
import { isAxiosError, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { ApiKeySession, CatalogsApi, EventsApi, ProfilesApi, RetryWithExponentialBackoff } from 'klaviyo-api';
import type { Logger } from '../../logging/logger';
import type { PlatformMetrics } from '../../platform/metrics';
import { OperationRateLimiter } from '../../platform/rate-limiter';
import { withRetry, type RetryPolicy } from '../../platform/retry';
import { PlatformError, retryAfterMs } from '../../platform/platform-error';
import { CallScope, underDeadline, unansweredError } from '../../platform/request-scope';
import { klaviyoOperationLimits, type KlaviyoOperation } from './operation-limits';

export interface KlaviyoClientOptions {
  apiKey: string;
  apiUrl: string;
  /** How long a submitted bulk job is followed before its records count as failed. */
  jobTimeoutMs: number;
  /** Deadline of one HTTP request; a request past it is retried. */
  timeoutMs: number;
  logger: Logger;
  retryPolicy?: RetryPolicy;
  /** Answers every request in place of Klaviyo (a dry run): nothing leaves the process, nothing is paced. */
  transport?: KlaviyoTransport;
  /** Where its requests and the jobs it follows are counted; unset, nothing is. */
  metrics?: PlatformMetrics;
}

/** Answers the requests the SDK builds, in place of Klaviyo's servers. */
export interface KlaviyoTransport {
  /**
   * The answer to one request of `operation`, its body in the wire form (snake_case JSON:API); a
   * refusal is thrown as Klaviyo's would be, an AxiosError with the response.
   */
  answer(operation: KlaviyoOperation, config: AxiosRequestConfig): Promise<AxiosResponse>;
}

/** The operation of the call the SDK's current request belongs to, for a transport to answer by. */
const currentOperation = new AsyncLocalStorage<KlaviyoOperation>();

/**
 * A request body already in its wire form, which the session sends in place of the one the SDK
 * serialized: bulk bodies are built once, record by record, as the records arrive.
 */
const preparedBodies = new AsyncLocalStorage<Buffer>();

/**
 * The SDK's session with the request deadline and the current call's signal: the SDK calls
 * `requestWithRetry` with the finished axios config (endpoint, headers, revision) for each request.
 * The SDK's own retry is off, so that it does not stack with the client's.
 */
class DeadlineSession extends ApiKeySession {
  constructor(
    apiKey: string,
    private readonly timeoutMs: number,
    private readonly transport?: KlaviyoTransport,
  ) {
    super(apiKey, new RetryWithExponentialBackoff({ numRetries: 0 }));
  }

  override requestWithRetry(config: AxiosRequestConfig): Promise<AxiosResponse> {
    const body = preparedBodies.getStore();
    // The content type axios gives the JSON it serializes itself; a Buffer it sends as it is.
    const sent = body
      ? { ...config, data: body, headers: { ...config.headers, 'Content-Type': 'application/json' } }
      : config;
    if (this.transport) {
      const operation = currentOperation.getStore();
      // Every request is made inside `call`, which names its operation; one outside it goes nowhere.
      if (!operation) return Promise.reject(new Error('a Klaviyo request outside a call of the client'));
      return this.transport.answer(operation, sent);
    }
    const statusOf = (answer: unknown) =>
      isAxiosError(answer) ? answer.response?.status : (answer as AxiosResponse | undefined)?.status;
    return underDeadline({ timeoutMs: this.timeoutMs, method: config.method, statusOf }, (signal) =>
      super.requestWithRetry({ ...sent, signal }),
    );
  }
}

/**
 * How much longer than Klaviyo's windows (1 s burst, 60 s steady) the client-side limiter counts.
 * Klaviyo counts a request when it handles it: requests granted here 1.3 s apart still reached the
 * server inside one second when either event loop was busy for a moment (four 429s within 20 ms on
 * bulk_create_catalog_variants in a products run of 50,000). A burst window of 2 s leaves room for
 * a second of such bunching; it only slows the first minute's burst, never the steady rate.
 */
const limiterMarginMs = { burst: 1_000, steady: 2_000 };

/**
 * The one door to Klaviyo: every call passes the operation's client-side rate limiter and the
 * shared retry policy; every request has a deadline and is aborted when the call's signal aborts.
 */
export class KlaviyoClient {
  readonly profiles: ProfilesApi;
  readonly events: EventsApi;
  readonly catalogs: CatalogsApi;
  /**
   * A job Klaviyo has not finished after this long is given up: its records count as failed, so a
   * stuck job cannot hold a run (and the jobs queued behind it) forever. The next run sends them again.
   */
  readonly jobTimeoutMs: number;
  readonly metrics?: PlatformMetrics;
  private readonly limiters = new Map<KlaviyoOperation, OperationRateLimiter>();

  constructor(private readonly options: KlaviyoClientOptions) {
    this.jobTimeoutMs = options.jobTimeoutMs;
    this.metrics = options.metrics;
    const session = new DeadlineSession(options.apiKey, options.timeoutMs, options.transport);
    this.profiles = new ProfilesApi(session);
    this.events = new EventsApi(session);
    this.catalogs = new CatalogsApi(session);
    for (const api of [this.profiles, this.events, this.catalogs]) api.basePath = options.apiUrl;
  }

  /**
   * Sends one request through the limiter, retrying what may succeed on a later attempt. Rejects
   * with a PlatformError, or with the signal's reason once it aborts (see withRetry).
   */
  call<T>(operation: KlaviyoOperation, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      async () => {
        // Requests a transport answers in place of Klaviyo spend none of its rate limits.
        if (!this.options.transport) await this.limiter(operation).acquire(signal);
        const { metrics } = this.options;
        const scope = new CallScope(signal, metrics && { metrics, platform: 'klaviyo', operation });
        try {
          return await currentOperation.run(operation, () => scope.run(request));
        } catch (error) {
          if (isAxiosError(error) && error.response) throw toPlatformError(operation, error.response);
          // Anything but a failed request (the SDK refusing its arguments) is a bug, not retried.
          throw error === scope.lastFailure ? unansweredError('klaviyo', operation, error, signal) : error;
        }
      },
      {
        policy: this.options.retryPolicy,
        signal,
        onRetry: (error, delayMs) => {
          this.options.metrics?.retried('klaviyo', operation);
          this.options.logger.warn(
            { operation, status: error.status, reason: error.detail, delayMs: Math.round(delayMs) },
            'Klaviyo call failed, retrying',
          );
        },
      },
    );
  }

  /**
   * `call` for a request whose body is ready in its wire form: `request` makes the SDK call with a
   * stand-in body (the SDK still gives endpoint, headers and the parsed answer) and `body` goes on
   * the wire instead, unchanged, on every attempt.
   */
  callWithBody<T>(
    operation: KlaviyoOperation,
    body: Buffer,
    request: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.call(operation, () => preparedBodies.run(body, request), signal);
  }

  private limiter(operation: KlaviyoOperation): OperationRateLimiter {
    let limiter = this.limiters.get(operation);
    if (!limiter) {
      limiter = new OperationRateLimiter(klaviyoOperationLimits[operation], limiterMarginMs);
      this.limiters.set(operation, limiter);
    }
    return limiter;
  }
}

interface KlaviyoErrorBody {
  errors?: Array<{ code?: string; title?: string; detail?: string; source?: { pointer?: string } }>;
}

/**
 * Keeps status, Retry-After and the error's code and pointer. The axios error itself is dropped:
 * it holds the request headers (the API key) and the body (personal data).
 */
function toPlatformError(operation: string, response: AxiosResponse): PlatformError {
  const errors = (response.data as KlaviyoErrorBody | undefined)?.errors ?? [];
  const first = errors[0];
  const problems = errors.map((problem) => ({
    code: problem.code ?? 'error',
    detail: problem.detail ?? problem.title ?? '',
    pointer: problem.source?.pointer ?? undefined,
  }));
  const detail = first
    ? [first.code, first.title, first.source?.pointer].filter(Boolean).join(' ')
    : `HTTP ${response.status}`;
  return new PlatformError(
    'klaviyo',
    operation,
    response.status,
    detail,
    retryAfterMs(response.headers['retry-after']),
    problems,
    first?.code,
  );
}
