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
import { withRetry, type RetryPolicy } from '../../engine/retry';
import { PlatformError, retryAfterMs } from '../platform-error';
import type { PageQuery } from './keyset-pages';

/** The resources read page by page, with their record type. */
export interface PagedResources {
  categories: Category;
  customers: Customer;
  orders: Order;
  products: Product;
}

/** What the SDK's query builder of each of those resources has in common. */
interface QueryBuilder<T> {
  get(args: { queryArgs: PageQuery }): { execute(): Promise<ClientResponse<{ results: T[] }>> };
}

/**
 * The one door to commercetools: the platform SDK over @commercetools/ts-client with the
 * client-credentials flow, every call through the shared retry policy.
 */
export class CommercetoolsClient {
  readonly api: ByProjectKeyRequestBuilder;

  constructor(
    config: Config['commercetools'],
    private readonly logger: Logger,
    private readonly retryPolicy?: RetryPolicy,
  ) {
    const client = new ClientBuilder()
      .withClientCredentialsFlow({
        host: config.authUrl,
        projectKey: config.projectKey,
        credentials: { clientId: config.clientId, clientSecret: config.clientSecret },
        scopes: config.scopes,
        httpClient: fetch,
      })
      // Retries happen in `call`, with Retry-After and jitter, so the middleware's are off.
      .withHttpMiddleware({ host: config.apiUrl, httpClient: fetch, enableRetry: false })
      .build();
    this.api = createApiBuilderFromCtpClient(client).withProjectKey({ projectKey: config.projectKey });
  }

  /** Reads one page of `resource` per call: the form keyset and id-list paging take (keyset-pages.ts). */
  queryPage<R extends keyof PagedResources>(resource: R, signal?: AbortSignal): (query: PageQuery) => Promise<PagedResources[R][]> {
    const operation = `query${resource[0].toUpperCase()}${resource.slice(1)}`;
    const builder = () => (this.api[resource] as unknown as () => QueryBuilder<PagedResources[R]>).call(this.api);
    return (query) =>
      this.call(operation, () => builder().get({ queryArgs: query }).execute(), signal).then((page) => page.results);
  }

  /** Executes one request built with `api`, returning the answer's body. */
  call<T>(operation: string, request: () => Promise<ClientResponse<T>>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      async () => {
        try {
          return (await request()).body as T;
        } catch (error) {
          throw toPlatformError(operation, error);
        }
      },
      {
        policy: this.retryPolicy,
        signal,
        onRetry: (error, delayMs) =>
          this.logger.warn(
            { operation, status: error.status, delayMs: Math.round(delayMs) },
            'commercetools call failed, retrying',
          ),
      },
    );
  }
}

interface CommercetoolsErrorShape {
  statusCode?: number;
  code?: string;
  message?: string;
  headers?: Record<string, unknown> | Headers;
  body?: { errors?: Array<{ code?: string }> };
  /** fetch's network errors carry the system error code (ECONNREFUSED, ENOTFOUND) here. */
  cause?: { code?: string };
}

/** Keeps status and error code only; the SDK's error carries the original request. */
function toPlatformError(operation: string, error: unknown): PlatformError {
  const shape = (error ?? {}) as CommercetoolsErrorShape;
  const status = shape.statusCode && shape.statusCode > 0 ? shape.statusCode : undefined;
  const code = shape.body?.errors?.[0]?.code ?? shape.code ?? shape.cause?.code ?? 'error';
  const headers = shape.headers;
  const retryAfter = headers instanceof Headers ? headers.get('retry-after') : headers?.['retry-after'];
  return new PlatformError('commercetools', operation, status, code, retryAfterMs(retryAfter ?? undefined));
}

/** True when a commercetools call failed because the resource does not exist. */
export const isNotFound = (error: unknown) => error instanceof PlatformError && error.status === 404;
/** True when a version-checked write lost to another writer. */
export const isConflict = (error: unknown) => error instanceof PlatformError && error.status === 409;
