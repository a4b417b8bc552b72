import { createApiBuilderFromCtpClient, type ByProjectKeyRequestBuilder } from '@commercetools/platform-sdk';
import { ClientBuilder, type ClientResponse } from '@commercetools/ts-client';
import type { Config } from '../../config/env';
import type { Logger } from '../../logging/logger';
import { withRetry, type RetryPolicy } from '../../engine/retry';
import { PlatformError, retryAfterMs } from '../platform-error';

/**
 * The one door to commercetools: the platform SDK over @commercetools/ts-client with the
 * client-credentials flow, every call through the shared retry policy.
 */
export class CommercetoolsClient {
  readonly api: ByProjectKeyRequestBuilder;
  /** Requests sent, for status and benchmarks. */
  requestCount = 0;

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

  /** Executes one request built with `api`, returning the answer's body. */
  call<T>(operation: string, request: () => Promise<ClientResponse<T>>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      async () => {
        this.requestCount++;
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
}

/** Keeps status and error code only; the SDK's error carries the original request. */
function toPlatformError(operation: string, error: unknown): PlatformError {
  const shape = (error ?? {}) as CommercetoolsErrorShape;
  const status = shape.statusCode && shape.statusCode > 0 ? shape.statusCode : undefined;
  const code = shape.body?.errors?.[0]?.code ?? shape.code ?? 'error';
  const headers = shape.headers;
  const retryAfter = headers instanceof Headers ? headers.get('retry-after') : headers?.['retry-after'];
  return new PlatformError('commercetools', operation, status, code, retryAfterMs(retryAfter ?? undefined));
}

/** True when a commercetools call failed because the resource does not exist. */
export const isNotFound = (error: unknown) => error instanceof PlatformError && error.status === 404;
/** True when a version-checked write lost to another writer. */
export const isConflict = (error: unknown) => error instanceof PlatformError && error.status === 409;
