/**
 * Runs the Klaviyo emulator as a process:
 *   npx tsx sandbox/klaviyo-emulator/cli.ts --port 0 --rate-limit-speed 1
 * Prints `Klaviyo emulator listening on <url>` once it accepts requests.
 */
import { parseArgs } from 'node:util';
import { startKlaviyoEmulator } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    spec: { type: 'string' },
    'api-key': { type: 'string' },
    'rate-limit-speed': { type: 'string', default: '1' },
    'error-rate': { type: 'string', default: '0' },
    'latency-ms': { type: 'string', default: '0' },
    'drop-rate': { type: 'string', default: '0' },
    'job-processing-ms': { type: 'string', default: '100' },
  },
});

function numberOption(name: keyof typeof values): number {
  const value = Number(values[name]);
  if (Number.isNaN(value)) throw new Error(`--${name} must be a number, got ${values[name]}`);
  return value;
}

async function main(): Promise<void> {
  const emulator = await startKlaviyoEmulator({
    port: numberOption('port'),
    host: values.host,
    specPath: values.spec,
    apiKey: values['api-key'],
    rateLimitSpeed: numberOption('rate-limit-speed'),
    faults: {
      errorRate: numberOption('error-rate'),
      latencyMs: numberOption('latency-ms'),
      dropRate: numberOption('drop-rate'),
    },
    jobProcessingMs: numberOption('job-processing-ms'),
  });
  process.stdout.write(`Klaviyo emulator listening on ${emulator.url}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`klaviyo-emulator: ${error.message}\n`);
  process.exit(1);
});
