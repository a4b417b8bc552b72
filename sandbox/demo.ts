/**
 * `npm run demo`: the whole service on generated data, end to end. Starts the sandbox
 * (commercetools sandbox + Klaviyo emulator, Klaviyo's real rate limits by default) and the
 * service, runs the imports categories → products → customers → orders over the service's HTTP
 * API as a user would, then compares what commercetools holds with what landed in Klaviyo.
 * Exits 0 when every import the service offers completed.
 */
import { parseArgs } from 'node:util';
import { defaultMappingSettings } from '../src/config/mapping-settings';
import type { RunStatus } from '../src/engine/run-status';
import type { ImportType } from '../src/engine/run-types';
import {
  type KlaviyoEmulatorStats,
  type RunningSandbox,
  SERVICE_FROM_SOURCE,
  fetchToken,
  recordPages,
  requestJson,
  runMain,
  settledKlaviyoStats,
  startImport,
  startSandbox,
  startService,
  stopAllChildren,
  stopChildrenOnSignals,
  waitForImport,
} from './service-driver';

const USAGE = `Usage: npm run demo -- [options]

  --customers N          customers to generate (default 500)
  --orders N             orders to generate (default 1000)
  --categories N         categories to generate (default 20)
  --products N           products to generate (default 100)
  --seed S               generator seed (default 1)
  --rate-limit-speed F   Klaviyo rate limits: 1 = as Klaviyo (default), 10 = ten times as many, 0 = off
  --timeout-minutes M    give up on an import after M minutes (default 15)
  --verbose              also print the service's log lines (JSON)
  --help                 show this text`;

/** Catalog first: order events name categories and products that should already be in Klaviyo. */
const IMPORT_ORDER: ImportType[] = ['categories', 'products', 'customers', 'orders'];
const EXAMPLES_SHOWN = 3;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '500' },
      orders: { type: 'string', default: '1000' },
      categories: { type: 'string', default: '20' },
      products: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      'rate-limit-speed': { type: 'string', default: '1' },
      'timeout-minutes': { type: 'string', default: '15' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const number = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`--${name} must be a non-negative number, got "${values[name]}"`);
    return value;
  };
  return {
    help: values.help,
    sizes: {
      customers: number('customers'),
      orders: number('orders'),
      categories: number('categories'),
      products: number('products'),
    },
    seed: values.seed,
    rateLimitSpeed: number('rate-limit-speed'),
    timeoutMs: number('timeout-minutes') * 60_000,
    verbose: values.verbose,
  };
}

const say = (message: string) => process.stdout.write(`${message}\n`);
const note = (message: string) => process.stderr.write(`[demo] ${message}\n`);

interface ImportOutcome {
  type: ImportType;
  status: RunStatus;
  klaviyoAfter: KlaviyoEmulatorStats;
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (options.help) {
    say(USAGE);
    return 0;
  }
  stopChildrenOnSignals(note);

  note(`starting the sandbox (${describeSizes(options.sizes)}, Klaviyo rate limits ×${options.rateLimitSpeed})`);
  const sandbox = await startSandbox({
    sizes: options.sizes,
    seed: options.seed,
    rateLimitSpeed: options.rateLimitSpeed,
    onLog: (line) => process.stderr.write(`${line}\n`),
  });
  note('starting the service');
  const service = await startService({
    nodeArgs: SERVICE_FROM_SOURCE,
    sandboxEnv: sandbox.env,
    onLog: options.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  note(`service listening on ${service.url}`);

  const commercetools = await countCommercetools(sandbox);
  const outcomes: ImportOutcome[] = [];
  for (const type of IMPORT_ORDER) {
    const { runId } = await startImport(service.url, type);
    note(`${type}: started run ${runId}`);
    let lastReport = 0;
    const { status } = await waitForImport(service.url, type, {
      timeoutMs: options.timeoutMs,
      onPoll: (current) => {
        if (Date.now() - lastReport < 2_000 || !current.counters) return;
        lastReport = Date.now();
        note(`${type}: ${current.state}, ${describeCounters(current)}`);
      },
    });
    note(`${type}: ${status.state} in ${status.elapsedSeconds} s, ${describeCounters(status)}`);
    // Snapshot per import: later imports add records too (order events create guest profiles).
    outcomes.push({ type, status, klaviyoAfter: await settledKlaviyoStats(sandbox.klaviyoUrl) });
  }

  const eventsByMetric = await countEventsByMetric(sandbox.klaviyoUrl);
  const klaviyo = await settledKlaviyoStats(sandbox.klaviyoUrl);
  printSummary({ commercetools, outcomes, eventsByMetric, klaviyo });
  await stopAllChildren();
  return outcomes.every((outcome) => outcome.status.state === 'completed') ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// What commercetools holds, read through its API as any client would

interface CommercetoolsCounts {
  customers: number;
  orders: number;
  lineItems: number;
  categories: number;
  publishedProducts: number;
  /** SKUs of the published products' current data: one Klaviyo variant each. */
  publishedSkus: number;
}

/** The parts of commercetools records the counts read. */
interface ProductVariant {
  sku?: string;
}

interface Order {
  id: string;
  lineItems: unknown[];
}

interface Product {
  id: string;
  masterData: { current: { masterVariant: ProductVariant; variants: ProductVariant[] } };
}

async function countCommercetools(sandbox: RunningSandbox): Promise<CommercetoolsCounts> {
  const { CT_API_URL, CT_PROJECT_ID } = sandbox.env;
  const token = await fetchToken(sandbox.env);
  const total = async (resource: string, where?: string) => {
    const params = new URLSearchParams({ limit: '1', withTotal: 'true', ...(where ? { where } : {}) });
    const response = await fetch(`${CT_API_URL}/${CT_PROJECT_ID}/${resource}?${params.toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`GET /${resource} answered ${response.status}`);
    return ((await response.json()) as { total?: number }).total ?? 0;
  };
  /** Sums `measure` over every record, a page at a time. */
  const sumOver = async <T extends { id: string }>(
    resource: string,
    measure: (record: T) => number,
    where?: string,
  ) => {
    let sum = 0;
    for await (const page of recordPages<T>(sandbox.env, token, resource, where)) {
      for (const record of page) sum += measure(record);
    }
    return sum;
  };
  const published = 'masterData(published = true)';
  return {
    customers: await total('customers'),
    orders: await total('orders'),
    lineItems: await sumOver<Order>('orders', (order) => order.lineItems.length),
    categories: await total('categories'),
    publishedProducts: await total('products', published),
    publishedSkus: await sumOver<Product>(
      'products',
      (product) => {
        const current = product.masterData.current;
        return [current.masterVariant, ...current.variants].filter((variant) => variant.sku).length;
      },
      published,
    ),
  };
}

async function countEventsByMetric(klaviyoUrl: string): Promise<Map<string, number>> {
  const { body } = await requestJson<{ data: Array<{ meta: { metric_name: string } }> }>(
    'GET',
    `${klaviyoUrl}/__emulator/records/events`,
    undefined,
    true,
  );
  const counts = new Map<string, number>();
  for (const event of body.data) {
    counts.set(event.meta.metric_name, (counts.get(event.meta.metric_name) ?? 0) + 1);
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Summary

function printSummary(input: {
  commercetools: CommercetoolsCounts;
  outcomes: ImportOutcome[];
  eventsByMetric: Map<string, number>;
  klaviyo: KlaviyoEmulatorStats;
}): void {
  const { commercetools: ct, outcomes, eventsByMetric, klaviyo } = input;
  const outcomeOf = (type: ImportType) => outcomes.find((outcome) => outcome.type === type)!;
  const landed = (type: ImportType, count: (outcome: ImportOutcome) => number) =>
    count(outcomeOf(type)).toLocaleString('en-US');
  // The service runs with the default mapping settings, so its events carry the default metric names.
  const { placedOrder, orderedProduct } = defaultMappingSettings().metrics;
  const eventCount = (name: string) => () => eventsByMetric.get(name) ?? 0;
  const rows: Array<[string, number, string, string]> = [
    ['categories', ct.categories, 'catalog categories', landed('categories', () => klaviyo.records.catalogCategories)],
    [
      'published products',
      ct.publishedProducts,
      'catalog items',
      landed('products', () => klaviyo.records.catalogItems),
    ],
    ['their SKUs', ct.publishedSkus, 'catalog variants', landed('products', () => klaviyo.records.catalogVariants)],
    // Profiles right after the customers import: the orders import adds guest buyers later.
    ['customers', ct.customers, 'profiles', landed('customers', (outcome) => outcome.klaviyoAfter.records.profiles)],
    ['orders', ct.orders, `"${placedOrder}" events`, landed('orders', eventCount(placedOrder))],
    ['line items', ct.lineItems, `"${orderedProduct}" events`, landed('orders', eventCount(orderedProduct))],
  ];

  say('');
  say('What commercetools holds            What landed in Klaviyo');
  for (const [ctLabel, ctCount, klaviyoLabel, klaviyoCount] of rows) {
    say(
      `  ${ctLabel.padEnd(20)} ${ctCount.toLocaleString('en-US').padStart(8)}   ${klaviyoLabel.padEnd(26)} ${klaviyoCount.padStart(8)}`,
    );
  }
  if (eventsByMetric.size > 0) {
    say(`  all events by metric: ${[...eventsByMetric].map(([name, count]) => `${name} ${count}`).join(', ')}`);
  }
  say(`  profiles in the end: ${klaviyo.records.profiles} (order events also create profiles for guest buyers)`);

  say('');
  say('Imports');
  for (const outcome of outcomes) {
    const { status } = outcome;
    say(
      `  ${outcome.type.padEnd(11)} ${status.state} in ${status.elapsedSeconds} s: ${describeCounters(status)}${status.error ? `; error: ${status.error}` : ''}`,
    );
    for (const [label, list] of [
      ['failed', status.recentFailures],
      ['skipped', status.recentSkips],
    ] as const) {
      for (const entry of (list ?? []).slice(0, EXAMPLES_SHOWN)) say(`      ${label} ${entry.id}: ${entry.reason}`);
    }
  }

  say('');
  say(
    `Klaviyo: ${klaviyo.requests.total} requests, ${klaviyo.rejected} rejected as invalid (should be 0), ${klaviyo.rateLimited} answered 429 (rate limited, retried)`,
  );
}

function describeCounters(status: RunStatus): string {
  const counters = status.counters;
  if (!counters) return 'no counters';
  return `read ${counters.read}, sent ${counters.sent}, succeeded ${counters.succeeded}, failed ${counters.failed}, skipped ${counters.skipped}`;
}

function describeSizes(sizes: Record<string, number>): string {
  return Object.entries(sizes)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}

runMain(main, note);
