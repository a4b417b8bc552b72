import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logging/logger';

/** The severities Google Cloud Logging reads from a JSON log line's `severity` field. */
const cloudLoggingSeverities = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
];

function capture(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('trace', destination), lines };
}

describe('createLogger', () => {
  it.each([
    ['trace', 'DEBUG'],
    ['debug', 'DEBUG'],
    ['info', 'INFO'],
    ['warn', 'WARNING'],
    ['error', 'ERROR'],
    ['fatal', 'CRITICAL'],
  ] as const)('logs %s with the Cloud Logging severity %s', (level, severity) => {
    const { logger, lines } = capture();
    logger[level]({ runId: 'r-1' }, 'something happened');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ severity, message: 'something happened', runId: 'r-1' });
    expect(cloudLoggingSeverities).toContain(lines[0].severity);
  });

  it('redacts fields that could carry personal data or secrets, at the top and one level down', () => {
    const { logger, lines } = capture();
    logger.warn(
      { email: 'a@example.com', customer: { phoneNumber: '+4915112345678' }, clientSecret: 's3cret' },
      'oops',
    );
    expect(lines[0]).toMatchObject({
      email: '[redacted]',
      customer: { phoneNumber: '[redacted]' },
      clientSecret: '[redacted]',
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/example\.com|4915112345678|s3cret/);
  });
});
