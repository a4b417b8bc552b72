import type { PlatformError } from '../platform/platform-error';

/** How the HTTP API answers a failed call to commercetools or Klaviyo, in words a user acts on. */
export interface PlatformProblem {
  /** 502: the platform answered with an error. 503: it could not be reached or did not answer in time. */
  status: 502 | 503;
  error: 'platform_error' | 'platform_unreachable';
  message: string;
}

const platformNames = { commercetools: 'commercetools', klaviyo: 'Klaviyo' } as const;

/** The variables a user checks when the platform cannot be reached at all. */
const addressVariables = { commercetools: 'CT_API_URL and CT_AUTH_URL', klaviyo: 'KLAVIYO_API_URL' } as const;

/** commercetools scopes by the client's operation names (see CT_SCOPE in the README). */
const commercetoolsScopes: Record<string, string> = {
  queryCustomers: 'view_customers',
  queryOrders: 'view_orders',
  queryProducts: 'view_products',
  queryCategories: 'view_categories (or view_products)',
  queryPayments: 'view_payments',
  queryCustomObjects: 'manage_key_value_documents',
  getCustomObject: 'manage_key_value_documents',
  writeCustomObject: 'manage_key_value_documents',
  deleteCustomObject: 'manage_key_value_documents',
};

/** Network error codes (Node, undici, axios) in words. */
const networkReasons: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'connection refused'],
  [/ENOTFOUND|EAI_AGAIN/, 'host name not found'],
  [/ECONNRESET|EPIPE|socket hang up|UND_ERR_SOCKET/i, 'connection closed before an answer'],
  [
    /ETIMEDOUT|ECONNABORTED|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|timeout|timed out|ERR_CANCELED|abort/i,
    'no answer in time',
  ],
  [/CERT|SSL|TLS|SELF_SIGNED/i, 'its TLS certificate was not accepted'],
];

export function describePlatformError(error: PlatformError): PlatformProblem {
  const name = platformNames[error.platform];
  if (error.status === undefined) {
    const reason = networkReasons.find(([pattern]) => pattern.test(error.detail))?.[1] ?? error.detail;
    return {
      status: 503,
      error: 'platform_unreachable',
      message: `${name} could not be reached (${reason}): check ${addressVariables[error.platform]}`,
    };
  }
  return { status: 502, error: 'platform_error', message: answerInWords(error, error.status, name) };
}

function answerInWords(error: PlatformError, status: number, name: string): string {
  // Klaviyo's detail also carries the error's title; its code alone is what a user looks up.
  const code = error.code ?? error.problems[0]?.code ?? error.detail;
  const answered = `${name} answered ${status} ${code}`;
  switch (status) {
    case 401:
      return error.platform === 'commercetools'
        ? `commercetools refused the API client's credentials (401 ${code}): check CT_API_CLIENT and CT_AUTH_URL`
        : `Klaviyo refused the API key (401 ${code}): check KLAVIYO_AUTH_KEY`;
    case 403:
      return error.platform === 'commercetools'
        ? `${answered}: the API client needs the scope ${commercetoolsScopes[error.operation] ?? `that ${error.operation} takes (see CT_SCOPE)`}`
        : `${answered}: the private API key needs the scope ${klaviyoScope(error.operation)}`;
    case 404:
      return error.platform === 'commercetools'
        ? `${answered} to ${error.operation}: check CT_PROJECT_ID and CT_API_URL`
        : `${answered} to ${error.operation}: check KLAVIYO_API_URL`;
    case 429:
      return `${name} answered 429 (too many requests) to ${error.operation}: try again in a minute`;
  }
  if (error.platform === 'commercetools' && code === 'invalid_scope') {
    return `commercetools refused the requested scopes (${status} invalid_scope): check CT_SCOPE and CT_PROJECT_ID`;
  }
  if (status >= 500) return `${answered} to ${error.operation}, a failure on its side: try again later`;
  return `${answered} to ${error.operation}`;
}

/**
 * Klaviyo's scopes follow its operation ids: reads (`get_…`) need `<resource>:read`, the rest
 * `<resource>:write`; catalog items, variants and categories are all `catalogs`.
 */
function klaviyoScope(operation: string): string {
  const resource = ['profile', 'event', 'metric'].find((word) => operation.includes(word));
  const access = operation.startsWith('get_') ? 'read' : 'write';
  return `${resource ? `${resource}s` : 'catalogs'}:${access}`;
}
