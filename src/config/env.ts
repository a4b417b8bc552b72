import { z } from 'zod';
import { ConfigError } from './config-error';

const clientExample = '{"clientId":"…","secret":"…"}';
const commercetoolsClientSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON like ${clientExample}` });
      return z.NEVER;
    }
  })
  .pipe(
    z.object(
      { clientId: z.string().min(1, 'clientId is empty'), secret: z.string().min(1, 'secret is empty') },
      {
        error: (issue) =>
          `must be a JSON object like ${clientExample}${Array.isArray(issue.input) ? ', not an array' : ''}`,
      },
    ),
  );

/**
 * An http(s) URL without its trailing slashes, so paths can be appended with one. Other schemes
 * are refused without echoing them: a misplaced secret such as `key:value` parses as a scheme.
 */
function httpUrl(example: string) {
  return z.string().transform((text, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a URL such as ${example}` });
      return z.NEVER;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: `must be an https:// (or http://) URL such as ${example}` });
      return z.NEVER;
    }
    return text.replace(/\/+$/, '');
  });
}
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined ? undefined : value.trim()));
const portProblem = 'must be a whole number from 1 to 65535';
const port = z.coerce.number({ error: portProblem }).int(portProblem).min(1, portProblem).max(65535, portProblem);
const secondsProblem = 'must be a number of seconds greater than 0';
const positiveSeconds = z.coerce.number({ error: secondsProblem }).positive(secondsProblem);
/**
 * The heartbeat renews a lock every third of its lifetime: under 10 s it would write to
 * commercetools several times a second, and one slow write would let the lock expire.
 */
const minimumLockTtlSeconds = 10;
const lockTtlProblem = `must be a number of seconds, at least ${minimumLockTtlSeconds}`;
const marginProblem = 'must be a number of seconds, 0 or more';
const marginSeconds = z.coerce.number({ error: marginProblem }).min(0, marginProblem);
const lockTtlSeconds = z.coerce.number({ error: lockTtlProblem }).min(minimumLockTtlSeconds, lockTtlProblem);

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  CT_API_URL: httpUrl('https://api.europe-west1.gcp.commercetools.com'),
  CT_AUTH_URL: httpUrl('https://auth.europe-west1.gcp.commercetools.com'),
  CT_PROJECT_ID: z.string(),
  CT_API_CLIENT: commercetoolsClientSchema,
  CT_SCOPE: optionalText,
  CT_SCOPES: optionalText,
  KLAVIYO_AUTH_KEY: z.string(),
  KLAVIYO_API_URL: httpUrl('https://a.klaviyo.com').default('https://a.klaviyo.com'),
  APP_TYPE: z
    .string()
    .optional()
    .refine((value) => value === undefined || value === 'BULK_IMPORT', {
      message: 'this build only contains the bulk import module; set BULK_IMPORT or leave it unset',
    }),
  BULK_IMPORT_PORT: port.optional(),
  PORT: port.optional(),
  BULK_IMPORT_API_KEY: optionalText,
  BULK_IMPORT_METRICS_PUBLIC: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  BULK_IMPORT_AUTO_RESUME: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  BULK_IMPORT_LOCK_TTL_SECONDS: lockTtlSeconds.default(120),
  BULK_IMPORT_INSTANCE_ID: optionalText,
  BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS: positiveSeconds.default(3600),
  BULK_IMPORT_COMMERCETOOLS_TIMEOUT_SECONDS: positiveSeconds.default(20),
  BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS: positiveSeconds.default(60),
  BULK_IMPORT_SINCE_MARGIN_SECONDS: marginSeconds.default(300),
  BULK_IMPORT_JOB_DEADLINE_SECONDS: positiveSeconds.default(1500),
  PRODUCT_URL_TEMPLATE: optionalText,
  PREFERRED_LOCALE: optionalText,
  PREFERRED_CURRENCY: optionalText,
  INVENTORY_CHANNEL_ID: optionalText,
  MAPPING_SETTINGS_FILE: optionalText,
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('info'),
});

export interface Config {
  port: number;
  commercetools: {
    apiUrl: string;
    authUrl: string;
    projectKey: string;
    clientId: string;
    clientSecret: string;
    scopes?: string[];
    /** Deadline of one HTTP request (token requests included); a request past it is retried. */
    timeoutMs: number;
  };
  /**
   * `jobTimeoutMs`: how long a submitted bulk job is followed before its records count as failed.
   * `timeoutMs`: deadline of one HTTP request; a request past it is retried.
   */
  klaviyo: { apiKey: string; apiUrl: string; jobTimeoutMs: number; timeoutMs: number };
  apiKey?: string;
  /** GET /metrics answers without the API key (for a scraper inside a trusted network). */
  metricsPublic: boolean;
  autoResume: boolean;
  lockTtlMs: number;
  /** How long before the last completed run's start `since: "lastRun"` reads from. */
  sinceMarginMs: number;
  /** The scheduled job stops each call's imports this long after it began (Connect ends a job at 30 minutes). */
  jobSliceDeadlineMs: number;
  instanceId?: string;
  productUrlTemplate?: string;
  preferredLocale?: string;
  preferredCurrency?: string;
  inventoryChannelId?: string;
  mappingSettingsFile?: string;
  logLevel: string;
}

/** The words for a problem no schema names itself: a missing value, or a value of the wrong type. */
const typeProblem: z.core.$ZodErrorMap = (issue) => {
  if (issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return `must be a ${issue.expected}`;
  return undefined;
};

/**
 * Reads the service configuration from environment variables.
 * Problems name the variable and never echo its value, since several hold secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  // A variable set to blanks (`PORT=` in a .env file) counts as not set.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = envSchema.safeParse(present, { error: typeProblem });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  // The original module read CT_SCOPES while its documentation says CT_SCOPE: accept both.
  const scopes = e.CT_SCOPE ?? e.CT_SCOPES;
  return {
    port: e.BULK_IMPORT_PORT ?? e.PORT ?? 6779,
    commercetools: {
      apiUrl: e.CT_API_URL,
      authUrl: e.CT_AUTH_URL,
      projectKey: e.CT_PROJECT_ID,
      clientId: e.CT_API_CLIENT.clientId,
      clientSecret: e.CT_API_CLIENT.secret,
      scopes: scopes ? scopes.split(/[\s,]+/).filter(Boolean) : undefined,
      timeoutMs: e.BULK_IMPORT_COMMERCETOOLS_TIMEOUT_SECONDS * 1000,
    },
    klaviyo: {
      apiKey: e.KLAVIYO_AUTH_KEY,
      apiUrl: e.KLAVIYO_API_URL,
      jobTimeoutMs: e.BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS * 1000,
      timeoutMs: e.BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS * 1000,
    },
    apiKey: e.BULK_IMPORT_API_KEY,
    metricsPublic: e.BULK_IMPORT_METRICS_PUBLIC === 'true',
    autoResume: e.BULK_IMPORT_AUTO_RESUME === 'true',
    lockTtlMs: e.BULK_IMPORT_LOCK_TTL_SECONDS * 1000,
    sinceMarginMs: e.BULK_IMPORT_SINCE_MARGIN_SECONDS * 1000,
    jobSliceDeadlineMs: e.BULK_IMPORT_JOB_DEADLINE_SECONDS * 1000,
    instanceId: e.BULK_IMPORT_INSTANCE_ID,
    productUrlTemplate: e.PRODUCT_URL_TEMPLATE,
    preferredLocale: e.PREFERRED_LOCALE,
    preferredCurrency: e.PREFERRED_CURRENCY,
    inventoryChannelId: e.INVENTORY_CHANNEL_ID,
    mappingSettingsFile: e.MAPPING_SETTINGS_FILE,
    logLevel: e.LOG_LEVEL,
  };
}
