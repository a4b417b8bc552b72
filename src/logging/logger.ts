import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths that could carry secrets or personal data. The code logs ids and counts only;
 * this list is the safety net for a mistake, not the plan.
 */
const redactedPaths = [
  'email',
  '*.email',
  'phone',
  '*.phone',
  'phoneNumber',
  '*.phoneNumber',
  'phone_number',
  '*.phone_number',
  'address',
  '*.address',
  'authorization',
  '*.authorization',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
];

/**
 * pino's levels as the severities Google Cloud Logging knows (DEFAULT, DEBUG, INFO, NOTICE,
 * WARNING, ERROR, CRITICAL, ALERT, EMERGENCY): pino's own labels WARN, FATAL and TRACE are not
 * among them, and Cloud Logging would show those lines at the wrong level.
 */
const cloudLoggingSeverity: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * JSON logs with the level under `severity`, the field Google Cloud Logging reads.
 * `destination` lets tests capture the output.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: cloudLoggingSeverity[label] ?? 'DEFAULT' }) },
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    destination,
  );
}
