import type { ClientResponse } from '@commercetools/ts-client';
import type { CommercetoolsClient } from './clients/commercetools/commercetools-client';
import type { KlaviyoClient } from './clients/klaviyo/klaviyo-client';
import type { KlaviyoOperation } from './clients/klaviyo/operation-limits';
import { PlatformError } from './platform/platform-error';
import { lockContainer } from './engine/import-lock';

/** One read that shows a platform accepts the configured credentials and scopes. */
export interface ReadinessCheck {
  platform: PlatformError['platform'];
  /** What was read, e.g. `customers` or `catalog items`. */
  check: string;
  ok: boolean;
  /** Why it failed: a PlatformError, or anything else (a bug). */
  error?: unknown;
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

/** Each check's deadline: a probe must answer in seconds, whatever the platforms do. */
const checkDeadlineMs = 5_000;

interface Check {
  platform: PlatformError['platform'];
  check: string;
  operation: string;
  read: (signal: AbortSignal) => Promise<unknown>;
}

/**
 * Reads one record of each resource the imports need (`limit=1`, `page[size]=1`), changing
 * nothing. The clients given should make a single attempt, so a failure is reported with its own
 * cause at once instead of retried into a timeout. Concurrent callers share one round of checks,
 * so a burst of probes cannot multiply the requests to either platform.
 */
export function readinessChecker(commercetools: CommercetoolsClient, klaviyo: KlaviyoClient): () => Promise<Readiness> {
  const ct = commercetools.api;
  const ctQuery = (check: string, operation: string, read: () => Promise<ClientResponse<unknown>>): Check => ({
    platform: 'commercetools',
    check,
    operation,
    read: (signal) => commercetools.call(operation, read, signal),
  });
  const klaviyoQuery = (check: string, operation: KlaviyoOperation, read: () => Promise<unknown>): Check => ({
    platform: 'klaviyo',
    check,
    operation,
    read: (signal) => klaviyo.call(operation, read, signal),
  });
  const firstPage = { queryArgs: { limit: 1, withTotal: false } };
  const checks: Check[] = [
    ctQuery('customers', 'queryCustomers', () => ct.customers().get(firstPage).execute()),
    ctQuery('orders', 'queryOrders', () => ct.orders().get(firstPage).execute()),
    ctQuery('products', 'queryProducts', () => ct.products().get(firstPage).execute()),
    ctQuery('categories', 'queryCategories', () => ct.categories().get(firstPage).execute()),
    // The orders import expands each order's payments (Refunded Order), which needs view_payments.
    ctQuery('payments', 'queryPayments', () => ct.payments().get(firstPage).execute()),
    ctQuery('custom objects (locks and checkpoints)', 'queryCustomObjects', () =>
      ct
        .customObjects()
        .withContainer({ container: lockContainer })
        .get({ queryArgs: { limit: 1 } })
        .execute(),
    ),
    klaviyoQuery('profiles', 'get_profiles', () =>
      klaviyo.profiles.getProfiles({ pageSize: 1, fieldsProfile: ['id'] }),
    ),
    klaviyoQuery('events', 'get_events', () => klaviyo.events.getEvents({ pageSize: 1, fieldsEvent: ['id'] })),
    klaviyoQuery('catalog items', 'get_catalog_items', () =>
      klaviyo.catalogs.getCatalogItems({ pageSize: 1, fieldsCatalogItem: ['id'] }),
    ),
  ];

  const runChecks = async (): Promise<Readiness> => {
    const results = await Promise.all(checks.map(runCheck));
    return { ready: results.every((result) => result.ok), checks: results };
  };
  let inFlight: Promise<Readiness> | undefined;
  return () => {
    inFlight ??= runChecks().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

async function runCheck({ platform, check, operation, read }: Check): Promise<ReadinessCheck> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new PlatformError(platform, operation, undefined, `no answer within ${checkDeadlineMs / 1000} s`);
      controller.abort(error);
      reject(error);
    }, checkDeadlineMs);
  });
  try {
    // The race listens to both: a read that fails after the deadline is not left unhandled.
    await Promise.race([read(controller.signal), deadline]);
    return { platform, check, ok: true };
  } catch (error) {
    return { platform, check, ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}
