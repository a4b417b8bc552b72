import { PlatformError } from '../../../src/platform/platform-error';
import { describePlatformError } from '../../../src/http/platform-problem';

const klaviyoRefusal = (operation: string, status: number, code: string) =>
  new PlatformError('klaviyo', operation, status, `${code} Some title.`, undefined, [{ code, detail: 'Some detail.' }]);

const cases: Array<[PlatformError, 502 | 503, string]> = [
  [
    new PlatformError('commercetools', 'getCustomObject', 401, 'invalid_client'),
    502,
    "commercetools refused the API client's credentials (401 invalid_client): check CT_API_CLIENT and CT_AUTH_URL",
  ],
  [
    new PlatformError('commercetools', 'writeCustomObject', 403, 'insufficient_scope'),
    502,
    'commercetools answered 403 insufficient_scope: the API client needs the scope manage_key_value_documents',
  ],
  [
    new PlatformError('commercetools', 'queryOrders', 403, 'insufficient_scope'),
    502,
    'commercetools answered 403 insufficient_scope: the API client needs the scope view_orders',
  ],
  [
    new PlatformError('commercetools', 'queryPayments', 403, 'insufficient_scope'),
    502,
    'commercetools answered 403 insufficient_scope: the API client needs the scope view_payments',
  ],
  [
    new PlatformError('commercetools', 'queryShippingMethods', 403, 'insufficient_scope'),
    502,
    'commercetools answered 403 insufficient_scope: the API client needs the scope that queryShippingMethods takes (see CT_SCOPE)',
  ],
  [
    new PlatformError('commercetools', 'queryCustomers', 400, 'invalid_scope'),
    502,
    'commercetools refused the requested scopes (400 invalid_scope): check CT_SCOPE and CT_PROJECT_ID',
  ],
  [
    new PlatformError('commercetools', 'queryCustomers', 404, 'ResourceNotFound'),
    502,
    'commercetools answered 404 ResourceNotFound to queryCustomers: check CT_PROJECT_ID and CT_API_URL',
  ],
  [
    new PlatformError('commercetools', 'queryProducts', 503, 'ServiceUnavailable'),
    502,
    'commercetools answered 503 ServiceUnavailable to queryProducts, a failure on its side: try again later',
  ],
  [
    new PlatformError('commercetools', 'getCustomObject', undefined, 'ECONNREFUSED'),
    503,
    'commercetools could not be reached (connection refused): check CT_API_URL and CT_AUTH_URL',
  ],
  [
    new PlatformError('commercetools', 'getCustomObject', undefined, 'ENOTFOUND'),
    503,
    'commercetools could not be reached (host name not found): check CT_API_URL and CT_AUTH_URL',
  ],
  [
    new PlatformError('commercetools', 'getCustomObject', undefined, 'TimeoutError'),
    503,
    'commercetools could not be reached (no answer in time): check CT_API_URL and CT_AUTH_URL',
  ],
  [
    klaviyoRefusal('get_profiles', 401, 'authentication_failed'),
    502,
    'Klaviyo refused the API key (401 authentication_failed): check KLAVIYO_AUTH_KEY',
  ],
  [
    klaviyoRefusal('bulk_create_events', 403, 'permission_denied'),
    502,
    'Klaviyo answered 403 permission_denied: the private API key needs the scope events:write',
  ],
  [
    klaviyoRefusal('get_catalog_items', 403, 'permission_denied'),
    502,
    'Klaviyo answered 403 permission_denied: the private API key needs the scope catalogs:read',
  ],
  [
    klaviyoRefusal('bulk_import_profiles', 403, 'permission_denied'),
    502,
    'Klaviyo answered 403 permission_denied: the private API key needs the scope profiles:write',
  ],
  [
    klaviyoRefusal('get_profiles', 429, 'throttled'),
    502,
    'Klaviyo answered 429 (too many requests) to get_profiles: try again in a minute',
  ],
  [klaviyoRefusal('bulk_create_events', 400, 'invalid'), 502, 'Klaviyo answered 400 invalid to bulk_create_events'],
  [
    new PlatformError('klaviyo', 'get_profiles', undefined, 'ECONNABORTED'),
    503,
    'Klaviyo could not be reached (no answer in time): check KLAVIYO_API_URL',
  ],
  [
    new PlatformError('klaviyo', 'get_profiles', undefined, 'ECONNRESET'),
    503,
    'Klaviyo could not be reached (connection closed before an answer): check KLAVIYO_API_URL',
  ],
];

describe('describePlatformError', () => {
  // The error's own message names platform, operation, status and detail.
  it.each(cases.map(([error, status, message]) => [error.message, status, error, message] as const))(
    '%s → %i',
    (_name, status, error, message) => {
      expect(describePlatformError(error)).toEqual({
        status,
        error: status === 502 ? 'platform_error' : 'platform_unreachable',
        message,
      });
    },
  );

  it('passes an unknown network reason on as it is', () => {
    expect(describePlatformError(new PlatformError('klaviyo', 'get_events', undefined, 'EHOSTUNREACH')).message).toBe(
      'Klaviyo could not be reached (EHOSTUNREACH): check KLAVIYO_API_URL',
    );
  });
});
