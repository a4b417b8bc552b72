/**
 * `npm run sandbox`: starts the commercetools sandbox and the Klaviyo emulator, seeds generated
 * data, and prints the environment that points the service at both, one KEY=VALUE per line on
 * stdout (a ready .env). Everything meant for a human goes to stderr. Runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startCommercetoolsSandbox } from './commercetools/server';
import { startKlaviyoEmulator } from './klaviyo-emulator';

const USAGE = `Usage: npm run sandbox -- [options]

  --customers N          customers to generate (default 1000)
  --orders N             orders to generate (default 5000)
  --categories N         categories to generate (default 30)
  --products N           products to generate (default 200)
  --seed S               generator seed; the same seed gives the same data (default 1)
  --ct-port P            commercetools sandbox port, 0 = any free port (default 8089)
  --klaviyo-port P       Klaviyo emulator port, 0 = any free port (default 8090)
  --rate-limit-speed F   Klaviyo rate limits: 1 = as Klaviyo, 10 = ten times as many, 0 = off (default 1)
  --project-key K        commercetools project key (default sandbox-project)
  --without-klaviyo      start only the commercetools sandbox
  --raw-mock             serve the commercetools mock without the corrections
  --exit-on-stdin-close  stop when stdin closes (for a parent process that may die)
  --help                 show this text

stdout carries only the KEY=VALUE lines; log messages go to stderr.`;

/** The Klaviyo key the sandbox prints; the emulator answers 401 to any other. */
const KLAVIYO_SANDBOX_KEY = 'pk_sandbox_0000000000000000000000';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '1000' },
      orders: { type: 'string', default: '5000' },
      categories: { type: 'string', default: '30' },
      products: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      'ct-port': { type: 'string', default: '8089' },
      'klaviyo-port': { type: 'string', default: '8090' },
      'rate-limit-speed': { type: 'string', default: '1' },
      'project-key': { type: 'string', default: 'sandbox-project' },
      'without-klaviyo': { type: 'boolean', default: false },
      'raw-mock': { type: 'boolean', default: false },
      'exit-on-stdin-close': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const number = (name: keyof typeof values, { integer }: { integer: boolean }) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw new Error(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}, got "${values[name]}"`);
    }
    return value;
  };
  return {
    help: values.help,
    sizes: {
      customers: number('customers', { integer: true }),
      orders: number('orders', { integer: true }),
      categories: number('categories', { integer: true }),
      products: number('products', { integer: true }),
    },
    seed: values.seed,
    ctPort: number('ct-port', { integer: true }),
    klaviyoPort: number('klaviyo-port', { integer: true }),
    rateLimitSpeed: number('rate-limit-speed', { integer: false }),
    projectKey: values['project-key'],
    withoutKlaviyo: values['without-klaviyo'],
    rawMock: values['raw-mock'],
    exitOnStdinClose: values['exit-on-stdin-close'],
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const log = (message: string) => process.stderr.write(`[sandbox] ${message}\n`);

  const commercetools = await startCommercetoolsSandbox({
    port: options.ctPort,
    projectKey: options.projectKey,
    corrections: !options.rawMock,
  });
  const klaviyo = options.withoutKlaviyo
    ? undefined
    : await startKlaviyoEmulator({
        port: options.klaviyoPort,
        rateLimitSpeed: options.rateLimitSpeed,
        apiKey: KLAVIYO_SANDBOX_KEY,
      });
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping`);
    await Promise.all([commercetools.close(), klaviyo?.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (options.exitOnStdinClose) {
    process.stdin.on('end', () => void stop('stdin closed')).resume();
  }

  log(`commercetools sandbox${options.rawMock ? ' (raw mock, no corrections)' : ''} on ${commercetools.url}`);
  if (klaviyo)
    log(
      `Klaviyo emulator on ${klaviyo.url}${klaviyo.validating ? '' : ' (spec not found: requests are not validated)'}`,
    );
  const seeded = await commercetools.seed({ seed: options.seed, ...options.sizes });
  const counts = Object.entries(seeded.loaded)
    .map(([part, count]) => `${count} ${part}`)
    .join(', ');
  log(`seeded ${counts} in ${seeded.durationMs} ms (seed ${options.seed})`);

  const env: Record<string, string> = {
    CT_API_URL: commercetools.url,
    CT_AUTH_URL: commercetools.url,
    CT_PROJECT_ID: commercetools.projectKey,
    CT_API_CLIENT: JSON.stringify(commercetools.credentials),
  };
  if (klaviyo) {
    env.KLAVIYO_AUTH_KEY = KLAVIYO_SANDBOX_KEY;
    env.KLAVIYO_API_URL = klaviyo.url;
  }
  process.stdout.write(
    `${Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n')}\n`,
  );
  log('ready; Ctrl-C stops');
}

main().catch((error: unknown) => {
  process.stderr.write(`[sandbox] failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
