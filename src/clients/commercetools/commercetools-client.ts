import {
  createApiBuilderFromCtpClient,
  type ByProjectKeyRequestBuilder,
  type Category,
  type Customer,
  type Order,
  type Product,
} from '@commercetools/platform-sdk';
import { ClientBuilder, type ClientResponse } from '@commercetools/ts-client';
import type { Config } from '../../config/env';
import type { Logger } from '../../logging/logger';
import type { PlatformMetrics } from '../../platform/metrics';
import { withRetry, type RetryPolicy } from '../../platform/retry';
import { PlatformError, retryAfterMs } from '../../platform/platform-error';
import { CallScope, underDeadline, unansweredError } from '../../platform/request-scope';
import type { PageQuery } from './keyset-pages';

/** The resources read page by page, with their record type. */
export interface PagedResources {
  categories: Category;
  customers: Customer;
  orders: Order;
  products: Product;
}

/**
 * A query that returns no records, only how many match. Sorted by id as the readers' pages are: a
 * store that indexes by id counts without touching the records.
 */
type CountQuery = { where: string[]; sort: string; limit: 0; withTotal: true };

/** What the SDK's query builder of each of those resources has in common. */
interface QueryBuilder<T> {
  get(args: { queryArgs: PageQuery | CountQuery }): {
    execute(): Promise<ClientResponse<{ results: T[]; total?: number }>>;
  };
}

/**
 * The one door to commercetools: the platform SDK over @commercetools/ts-client with the
 * client-credentials flow, every call through the shared retry policy. Every HTTP request, token
 * requests included, has the deadline `timeoutMs` and is aborted when the call's signal aborts.
 */
export class CommercetoolsClient {
  readonly api: ByProjectKeyRequestBuilder;

  constructor(
    config: Config['commercetools'],
    private readonly logger: Logger,
    private readonly retryPolicy?: RetryPolicy,
    /** Where its requests are counted; unset, nothing is. */
    private readonly metrics?: PlatformMetrics,
  ) {
    const httpClient = fetchUnderDeadline(config.timeoutMs);
    const client = new ClientBuilder()
      .withClientCredentialsFlow({
        host: config.authUrl,
        projectKey: config.projectKey,
        credentials: { clientId: config.clientId, clientSecret: config.clientSecret },
        scopes: config.scopes,
        httpClient,
      })
      // Retries happen in `call`, with Retry-After and jitter, so the middleware's are off.
      .withHttpMiddleware({ host: config.apiUrl, httpClient, enableRetry: false })
      .build();
    this.api = createApiBuilderFromCtpClient(client).withProjectKey({ projectKey: config.projectKey });
  }

  /** Reads one page of `resource` per call: the form keyset and id-list paging take (keyset-pages.ts). */
  queryPage<R extends keyof PagedResources>(
    resource: R,
    signal?: AbortSignal,
  ): (query: PageQuery) => Promise<PagedResources[R][]> {
    const operation = `query${capitalized(resource)}`;
    return (query) =>
      this.call(operation, () => queryBuilder(this.api, resource).get({ queryArgs: query }).execute(), signal).then(
        (page) => page.results,
      );
  }

  /** How many records of `resource` match `where`: one query that answers the count and no records. */
  async countRecords(resource: keyof PagedResources, where: string[], signal?: AbortSignal): Promise<number> {
    const operation = `count${capitalized(resource)}`;
    const query: CountQuery = { where, sort: 'id asc', limit: 0, withTotal: true };
    const { total } = await this.call(
      operation,
      () => queryBuilder(this.api, resource).get({ queryArgs: query }).execute(),
      signal,
    );
    if (total === undefined) throw new PlatformError('commercetools', operation, undefined, 'the answer has no total');
    return total;
  }

  /**
   * Executes one request built with `api`, returning the answer's body. Rejects with a
   * PlatformError, or with the signal's reason once it aborts (see withRetry).
   */
  call<T>(operation: string, request: () => Promise<ClientResponse<T>>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      async () => {
        const scope = new CallScope(
          signal,
          this.metrics && { metrics: this.metrics, platform: 'commercetools', operation },
        );
        try {
          return (await scope.run(request)).body as T;
        } catch (error) {
          // The SDK wraps a failed fetch in an error of its own: the original is the scope's.
          throw scope.lastFailure === undefined
            ? toPlatformError(operation, error)
            : unansweredError('commercetools', operation, scope.lastFailure, signal);
        }
      },
      {
        policy: this.retryPolicy,
        signal,
        onRetry: (error, delayMs) => {
          this.metrics?.retried('commercetools', operation);
          this.logger.warn(
            { operation, status: error.status, reason: error.detail, delayMs: Math.round(delayMs) },
            'commercetools call failed, retrying',
          );
        },
      },
    );
  }
}

function queryBuilder<R extends keyof PagedResources>(
  api: ByProjectKeyRequestBuilder,
  resource: R,
): QueryBuilder<PagedResources[R]> {
  return (api[resource] as unknown as () => QueryBuilder<PagedResources[R]>).call(api);
}

function capitalized(name: string): string {
  return `${name[0].toUpperCase()}${name.slice(1)}`;
}

/**
 * A fetch answer with its body already read as text: what the SDK reads of an answer (status,
 * headers, `text()`), and no more. The SDK only asks for the text, so the body is never held as
 * bytes once decoded: a page of 500 customers is half a megabyte, and a Response rebuilt around
 * those bytes cost one more copy of each page.
 */
class ReadAnswer {
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    private readonly body: string,
  ) {}

  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
}

/**
 * fetch for the SDK, under the request deadline and the current call's signal. The body is read
 * here too, so that an answer whose body stalls counts as no answer. A token request is counted
 * as `oauthToken`, whichever call needed it.
 */
function fetchUnderDeadline(
  timeoutMs: number,
): (input: string | URL | Request, init?: RequestInit) => Promise<ReadAnswer> {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const request = {
      timeoutMs,
      method: init?.method,
      statusOf: (answer: unknown) => (answer instanceof ReadAnswer ? answer.status : undefined),
      operation: url.includes('/oauth/token') ? 'oauthToken' : undefined,
    };
    return underDeadline(request, async (signal) => {
      const response = await fetch(input, { ...init, signal });
      const { status, statusText, headers } = response;
      return new ReadAnswer(status, statusText, headers, await response.text());
    });
  };
}

interface CommercetoolsErrorShape {
  statusCode?: number;
  code?: string;
  message?: string;
  headers?: Record<string, unknown> | Headers;
  body?: { message?: string; errors?: Array<{ code?: string; message?: string }> };
  /** An array of `{ code, message }` when the SDK failed on an answer, otherwise anything. */
  error?: unknown;
}

const longestMessage = 300;

/**
 * Keeps status, the error's code and commercetools' message for it: the SDK's error also carries
 * the original request, which is dropped. A failed token request keeps the OAuth error
 * (`invalid_client`, `invalid_scope`) as its code.
 */
function toPlatformError(operation: string, error: unknown): PlatformError {
  // The SDK throws `{ body: null, error }` when its own handling of an answer fails.
  const thrown = (error ?? {}) as { body?: unknown; error?: unknown };
  const shape = (
    thrown.body === null && thrown.error && typeof thrown.error === 'object' ? thrown.error : thrown
  ) as CommercetoolsErrorShape;
  const status = shape.statusCode && shape.statusCode > 0 ? shape.statusCode : undefined;
  const sdkErrors = Array.isArray(shape.error) ? (shape.error as Array<{ code?: string; message?: string }>) : [];
  const first = shape.body?.errors?.[0] ?? sdkErrors[0];
  const code = first?.code ?? shape.code;
  const message = (first?.message ?? shape.body?.message ?? shape.message)?.slice(0, longestMessage);
  const detail = [code, message].filter(Boolean).join(': ') || (status ? `HTTP ${status}` : 'no answer');
  const headers = shape.headers;
  const retryAfter = headers instanceof Headers ? headers.get('retry-after') : headers?.['retry-after'];
  return new PlatformError('commercetools', operation, status, detail, retryAfterMs(retryAfter ?? undefined), [], code);
}

/** True when a commercetools call failed because the resource does not exist. */
export const isNotFound = (error: unknown) => error instanceof PlatformError && error.status === 404;
/** True when a version-checked write lost to another writer. */
export const isConflict = (error: unknown) => error instanceof PlatformError && error.status === 409;
