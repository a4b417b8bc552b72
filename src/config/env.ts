import { z } from 'zod';

const commercetoolsClientSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON like {"clientId":"…","secret":"…"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.object(
      { clientId: z.string().min(1, 'clientId is empty'), secret: z.string().min(1, 'secret is empty') },
      { error: 'must be JSON like {"clientId":"…","secret":"…"}' },
    ),
  );

/** A URL without its trailing slashes, so paths can be appended with one. */
const url = z
  .url({ error: 'must be a URL such as https://api.europe-west1.gcp.commercetools.com' })
  .transform((value) => value.replace(/\/+$/, ''));
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const port = z.coerce.number().int().min(1).max(65535);
const positiveSeconds = z.coerce.number().positive();

const envSchema = z.object({
  CT_API_URL: url,
  CT_AUTH_URL: url,
  CT_PROJECT_ID: z.string().min(1, 'must name the commercetools project key'),
  CT_API_CLIENT: commercetoolsClientSchema,
  CT_SCOPE: optionalText,
  CT_SCOPES: optionalText,
  KLAVIYO_AUTH_KEY: z.string().min(1, 'must be a Klaviyo private API key'),
  KLAVIYO_API_URL: url.default('https://a.klaviyo.com'),
  APP_TYPE: z
    .string()
    .optional()
    .refine((value) => value === undefined || value === '' || value === 'BULK_IMPORT', {
      message: 'this build only contains the bulk import module; set BULK_IMPORT or leave it unset',
    }),
  BULK_IMPORT_PORT: port.optional(),
  PORT: port.optional(),
  BULK_IMPORT_API_KEY: optionalText,
  BULK_IMPORT_AUTO_RESUME: z.enum(['true', 'false']).default('false'),
  BULK_IMPORT_LOCK_TTL_SECONDS: positiveSeconds.default(120),
  BULK_IMPORT_INSTANCE_ID: optionalText,
  BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS: positiveSeconds.default(3600),
  BULK_IMPORT_COMMERCETOOLS_TIMEOUT_SECONDS: positiveSeconds.default(20),
  BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS: positiveSeconds.default(60),
  PRODUCT_URL_TEMPLATE: optionalText,
  PREFERRED_LOCALE: optionalText,
  PREFERRED_CURRENCY: optionalText,
  INVENTORY_CHANNEL_ID: optionalText,
  MAPPING_SETTINGS_FILE: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  autoResume: boolean;
  lockTtlMs: number;
  instanceId?: string;
  productUrlTemplate?: string;
  preferredLocale?: string;
  preferredCurrency?: string;
  inventoryChannelId?: string;
  mappingSettingsFile?: string;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

/**
 * Reads the service configuration from environment variables.
 * Problems name the variable and never echo its value, since several hold secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = issue.path.join('.');
      const detail = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      return `${variable}: ${detail}`;
    });
    throw new ConfigError(problems);
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
    autoResume: e.BULK_IMPORT_AUTO_RESUME === 'true',
    lockTtlMs: e.BULK_IMPORT_LOCK_TTL_SECONDS * 1000,
    instanceId: e.BULK_IMPORT_INSTANCE_ID,
    productUrlTemplate: e.PRODUCT_URL_TEMPLATE,
    preferredLocale: e.PREFERRED_LOCALE,
    preferredCurrency: e.PREFERRED_CURRENCY,
    inventoryChannelId: e.INVENTORY_CHANNEL_ID,
    mappingSettingsFile: e.MAPPING_SETTINGS_FILE,
    logLevel: e.LOG_LEVEL,
  };
}
