import { ConfigError } from '../../../src/config/config-error';
import { loadConfig } from '../../../src/config/env';
import { stringMatching } from '../../support/matchers';

const valid = {
  CT_API_URL: 'https://api.europe-west1.gcp.commercetools.com/',
  CT_AUTH_URL: 'https://auth.europe-west1.gcp.commercetools.com',
  CT_PROJECT_ID: 'shop',
  CT_API_CLIENT: '{"clientId":"client","secret":"very-secret-value"}',
  KLAVIYO_AUTH_KEY: 'pk_very_secret_key',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads a valid environment with the defaults of the original module', () => {
    const config = loadConfig(valid);
    expect(config.port).toBe(6779);
    expect(config.commercetools).toEqual({
      apiUrl: 'https://api.europe-west1.gcp.commercetools.com',
      authUrl: 'https://auth.europe-west1.gcp.commercetools.com',
      projectKey: 'shop',
      clientId: 'client',
      clientSecret: 'very-secret-value',
      scopes: undefined,
      timeoutMs: 20_000,
    });
    expect(config.klaviyo).toEqual({
      apiKey: 'pk_very_secret_key',
      apiUrl: 'https://a.klaviyo.com',
      jobTimeoutMs: 3_600_000,
      timeoutMs: 60_000,
    });
  });

  it('keeps /metrics behind the API key unless BULK_IMPORT_METRICS_PUBLIC is true', () => {
    expect(loadConfig(valid).metricsPublic).toBe(false);
    expect(loadConfig({ ...valid, BULK_IMPORT_METRICS_PUBLIC: 'true' }).metricsPublic).toBe(true);
  });

  it('strips trailing slashes from every URL, the Klaviyo one included', () => {
    const config = loadConfig({
      ...valid,
      CT_AUTH_URL: 'https://auth.europe-west1.gcp.commercetools.com//',
      KLAVIYO_API_URL: 'http://127.0.0.1:4010/',
    });
    expect(config.commercetools.authUrl).toBe('https://auth.europe-west1.gcp.commercetools.com');
    expect(config.klaviyo.apiUrl).toBe('http://127.0.0.1:4010');
  });

  it('reads how long Klaviyo jobs are followed, and names the variable when it is not a positive number', () => {
    expect(loadConfig({ ...valid, BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS: '90' }).klaviyo.jobTimeoutMs).toBe(90_000);
    expect(problemsOf({ ...valid, BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS: '0' })).toEqual([
      stringMatching(/^BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS: /),
    ]);
  });

  it('reads the per-request deadlines of both platforms', () => {
    const config = loadConfig({
      ...valid,
      BULK_IMPORT_COMMERCETOOLS_TIMEOUT_SECONDS: '5',
      BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS: '7.5',
    });
    expect(config.commercetools.timeoutMs).toBe(5_000);
    expect(config.klaviyo.timeoutMs).toBe(7_500);
    expect(problemsOf({ ...valid, BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS: '-1' })).toEqual([
      stringMatching(/^BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS: /),
    ]);
  });

  it.each([
    [{ BULK_IMPORT_PORT: '7000', PORT: '8080' }, 7000],
    [{ PORT: '8080' }, 8080],
  ])('takes the port from BULK_IMPORT_PORT, else PORT (%o)', (extra, port) => {
    expect(loadConfig({ ...valid, ...extra }).port).toBe(port);
  });

  it.each([
    [{ CT_SCOPE: 'view_orders:shop view_customers:shop' }, ['view_orders:shop', 'view_customers:shop']],
    [{ CT_SCOPES: 'view_orders:shop' }, ['view_orders:shop']],
  ])('accepts the scopes as CT_SCOPE or, as the original read them, CT_SCOPES (%o)', (extra, scopes) => {
    expect(loadConfig({ ...valid, ...extra }).commercetools.scopes).toEqual(scopes);
  });

  it.each([
    ['a missing variable', { CT_PROJECT_ID: undefined }, 'CT_PROJECT_ID: is required'],
    ['a variable set to blanks', { KLAVIYO_AUTH_KEY: '  ' }, 'KLAVIYO_AUTH_KEY: is required'],
    ['a URL that is not one', { CT_API_URL: 'api.commercetools' }, 'CT_API_URL: must be a URL such as https://'],
    [
      'an ftp URL',
      { CT_AUTH_URL: 'ftp://auth.europe-west1.gcp.commercetools.com' },
      'CT_AUTH_URL: must be an https:// (or http://) URL',
    ],
    [
      'a javascript: URL',
      { KLAVIYO_API_URL: 'javascript:alert(1)' },
      'KLAVIYO_API_URL: must be an https:// (or http://) URL',
    ],
    ['client JSON that does not parse', { CT_API_CLIENT: '{clientId:' }, 'CT_API_CLIENT: must be JSON like'],
    [
      'client JSON that is an array',
      { CT_API_CLIENT: '["x"]' },
      'CT_API_CLIENT: must be a JSON object like {"clientId":"…","secret":"…"}, not an array',
    ],
    ['client JSON that is a string', { CT_API_CLIENT: '"x"' }, 'CT_API_CLIENT: must be a JSON object like'],
    ['client JSON without a secret', { CT_API_CLIENT: '{"clientId":"c"}' }, 'CT_API_CLIENT.secret: is required'],
    [
      'client JSON with a numeric id',
      { CT_API_CLIENT: '{"clientId":5,"secret":"s"}' },
      'CT_API_CLIENT.clientId: must be a string',
    ],
    [
      'another module type',
      { APP_TYPE: 'REALTIME_EVENTS' },
      'APP_TYPE: this build only contains the bulk import module',
    ],
    [
      'a port that is not a number',
      { BULK_IMPORT_PORT: 'abc' },
      'BULK_IMPORT_PORT: must be a whole number from 1 to 65535',
    ],
    ['a port out of range', { BULK_IMPORT_PORT: '70000' }, 'BULK_IMPORT_PORT: must be a whole number from 1 to 65535'],
    ['a fractional port', { PORT: '80.5' }, 'PORT: must be a whole number from 1 to 65535'],
    [
      'a lock lifetime under 10 s',
      { BULK_IMPORT_LOCK_TTL_SECONDS: '0.001' },
      'BULK_IMPORT_LOCK_TTL_SECONDS: must be a number of seconds, at least 10',
    ],
    [
      'a lock lifetime that is not a number',
      { BULK_IMPORT_LOCK_TTL_SECONDS: 'two minutes' },
      'BULK_IMPORT_LOCK_TTL_SECONDS: must be a number of seconds, at least 10',
    ],
    [
      'a deadline that is not a number',
      { BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS: 'x' },
      'BULK_IMPORT_KLAVIYO_TIMEOUT_SECONDS: must be a number of seconds greater than 0',
    ],
    [
      'an auto-resume flag other than true or false',
      { BULK_IMPORT_AUTO_RESUME: 'yes' },
      'BULK_IMPORT_AUTO_RESUME: must be true or false',
    ],
    [
      'a public-metrics flag other than true or false',
      { BULK_IMPORT_METRICS_PUBLIC: '1' },
      'BULK_IMPORT_METRICS_PUBLIC: must be true or false',
    ],
    [
      'an unknown log level',
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ],
  ])('names the variable and the problem for %s', (_case, change, expected) => {
    const env: Record<string, string> = { ...valid };
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('accepts a lock lifetime of 10 s and treats a blank optional variable as unset', () => {
    const config = loadConfig({ ...valid, BULK_IMPORT_LOCK_TTL_SECONDS: '10', BULK_IMPORT_PORT: '', PORT: '8080' });
    expect(config.lockTtlMs).toBe(10_000);
    expect(config.port).toBe(8080);
  });

  it('lists every problem at once and never echoes a secret', () => {
    const error = (() => {
      try {
        loadConfig({
          CT_API_CLIENT: '{"clientId":"c","secret":""}',
          KLAVIYO_AUTH_KEY: '',
          CT_API_URL: 'pk_looks_secret',
        });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems.map((problem) => problem.split(':')[0]).sort()).toEqual(
      ['CT_API_CLIENT.secret', 'CT_API_URL', 'CT_AUTH_URL', 'CT_PROJECT_ID', 'KLAVIYO_AUTH_KEY'].sort(),
    );
    expect(error.message).not.toContain('pk_looks_secret');
  });
});
