/**
 * Issue 4 end to end: the orders import against the commercetools sandbox (a child process, over
 * HTTP) and the Klaviyo emulator (over HTTP, validating every request against Klaviyo's spec).
 * The service is assembled as server.ts does and driven through its JobEngine.
 *
 * ORDERS_E2E_COUNT sets the number of generated orders (default 2,000; the 20,000 case
 * runs with ORDERS_E2E_COUNT=20000).
 */
import type { Category, Order, Product } from '@commercetools/platform-sdk';
import type { ClientResponse } from '@commercetools/ts-client';
import { CommercetoolsClient } from '../../src/clients/commercetools/commercetools-client';
import { CustomObjectStore } from '../../src/clients/commercetools/custom-objects';
import { keysetPages, type PageQuery } from '../../src/clients/commercetools/keyset-pages';
import { KlaviyoClient } from '../../src/clients/klaviyo/klaviyo-client';
import { loadConfig, type Config } from '../../src/config/env';
import { defaultMappingSettings, type MappingSettings } from '../../src/config/mapping-settings';
import { CheckpointStore } from '../../src/engine/checkpoints';
import { ImportLocks } from '../../src/engine/import-lock';
import { JobEngine, type RunStatus } from '../../src/engine/job-engine';
import type { RunRequest } from '../../src/engine/run-types';
import { OrdersImporter } from '../../src/importers/orders-importer';
import { createLogger } from '../../src/logging/logger';
import { orderEvents } from '../../src/mappers/order-events';
import { emulatorInspector } from '../support/service-harness';
import { commercetoolsStats, resetCommercetoolsStats, startSandbox, type RunningSandbox } from '../support/sandbox-process';

const orderCount = Number(process.env.ORDERS_E2E_COUNT ?? 2_000);
const logger = createLogger(process.env.E2E_LOG_LEVEL ?? 'silent');

let sandbox: RunningSandbox;
let klaviyo: ReturnType<typeof emulatorInspector>;
let config: Config;
let orders: Order[];
let products: Map<string, Product>;
let categories: Map<string, Category>;


/** Runs one orders import to its end with the given settings, as the service would. */
async function importOrders(request: RunRequest, settings: MappingSettings = defaultMappingSettings()): Promise<RunStatus> {
  const commercetools = new CommercetoolsClient(config.commercetools, logger);
  const klaviyo = new KlaviyoClient({ apiKey: config.klaviyo.apiKey, apiUrl: config.klaviyo.apiUrl, logger });
  const store = new CustomObjectStore(commercetools);
  const importer = new OrdersImporter({ commercetools, klaviyo, settings, config, now: () => new Date() });
  const engine = new JobEngine({
    importers: { orders: importer },
    locks: new ImportLocks(store, 'orders-e2e', config.lockTtlMs),
    checkpoints: new CheckpointStore(store),
    logger,
    lockTtlMs: config.lockTtlMs,
  });
  await engine.start('orders', request);
  await engine.settled('orders');
  return engine.status('orders');
}

/**
 * The emulator applies bulk event requests as jobs on a timer; waits until every job has a
 * completed_at (its status can read "processing" after completion when its two timers fire
 * out of order under load, an emulator race reported separately).
 */
async function klaviyoEvents(): Promise<any[]> {
  for (let attempt = 0; ; attempt++) {
    const jobs = await klaviyo.records('jobs');
    if (jobs.every((job) => job.attributes.completed_at)) return klaviyo.records('events');
    if (attempt === 500) throw new Error(`emulator jobs not complete: ${JSON.stringify(jobs.map((job) => job.attributes.status))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function readAll<T extends { id: string }>(client: CommercetoolsClient, query: (queryArgs: PageQuery) => Promise<ClientResponse<{ results: T[] }>>): Promise<T[]> {
  const records: T[] = [];
  for await (const page of keysetPages((queryArgs) => client.call('readAll', () => query(queryArgs)).then((body) => body.results), {})) records.push(...page);
  return records;
}

const isAttributable = (order: Order) => Boolean(order.customerEmail || order.customerId);
const metricCounts = (events: any[]) =>
  events.reduce<Record<string, number>>((counts, event) => ({ ...counts, [event.meta.metric_name]: (counts[event.meta.metric_name] ?? 0) + 1 }), {});
const placedOrderIds = (events: any[]) =>
  events.filter((event) => event.meta.metric_name === 'Placed Order').map((event) => event.meta.unique_id).sort();

/** Category paths walked up through `parent`, not the `ancestors` list the service reads. */
function categoryPathsViaParents(productId: string): string[] {
  const paths = (products.get(productId)?.masterData.current.categories ?? []).flatMap((reference) => {
    const names: string[] = [];
    for (let category = categories.get(reference.id); category; category = category.parent && categories.get(category.parent.id)) {
      names.unshift(Object.values(category.name).find(Boolean)!);
    }
    return names.map((_, depth) => names.slice(0, depth + 1).join(' > '));
  });
  return [...new Set(paths)];
}

beforeAll(async () => {
  // Rate limits off at the emulator: this suite is about what is sent; the client paces itself anyway.
  sandbox = await startSandbox({ orders: orderCount, customers: 300, products: 200, categories: 30, seed: 4, rateLimitSpeed: 0, startTimeoutMs: 240_000 });
  klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
  config = loadConfig(sandbox.env);

  const reader = new CommercetoolsClient(config.commercetools, logger);
  orders = await readAll(reader, (queryArgs) => reader.api.orders().get({ queryArgs }).execute());
  products = new Map((await readAll(reader, (queryArgs) => reader.api.products().get({ queryArgs }).execute())).map((product) => [product.id, product]));
  categories = new Map((await readAll(reader, (queryArgs) => reader.api.categories().get({ queryArgs }).execute())).map((category) => [category.id, category]));
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('POST /sync/orders (issue 4)', () => {
  let events: any[];
  let profilesById: Map<string, any>;

  beforeAll(async () => {
    await resetCommercetoolsStats(sandbox);
    const status = await importOrders({ mode: 'all' });
    expect(status).toMatchObject({ state: 'completed', counters: { read: orderCount, failed: 0 } });
    events = await klaviyoEvents();
    profilesById = new Map((await klaviyo.records('profiles')).map((profile) => [profile.id, profile]));

    const klaviyoRequests = (await klaviyo.stats()).requests.total;
    const commercetoolsRequests = (await commercetoolsStats(sandbox)).requests;
    const perThousand = (count: number) => Math.round((count / orderCount) * 1_000 * 10) / 10;
    process.stdout.write(
      `orders e2e: ${orderCount} orders, ${events.length} events; Klaviyo requests ${klaviyoRequests} ` +
        `(${perThousand(klaviyoRequests)} per 1,000 orders); commercetools requests ${commercetoolsRequests.total} ` +
        `(${perThousand(commercetoolsRequests.total)} per 1,000 orders) ${JSON.stringify(commercetoolsRequests.byResource)}\n`,
    );
    expect(perThousand(klaviyoRequests)).toBeLessThanOrEqual(10);
    expect(perThousand(commercetoolsRequests.total)).toBeLessThanOrEqual(10);
    expect(status.counters!.skipped).toBe(orders.filter((order) => !isAttributable(order)).length);
  }, 600_000);

  it('records as many events of each metric as the orders imply', () => {
    const attributable = orders.filter(isAttributable);
    expect(attributable.length).toBeGreaterThan(0);
    expect(metricCounts(events)).toStrictEqual({
      'Placed Order': attributable.length,
      'Ordered Product': attributable.reduce((sum, order) => sum + order.lineItems.length, 0),
      'Fulfilled Order': attributable.filter((order) => ['Confirmed', 'Complete'].includes(order.orderState)).length,
      'Cancelled Order': attributable.filter((order) => order.orderState === 'Cancelled').length,
    });
  });

  it('records a sample of events exactly as the mapping gives them, ItemNames and Categories included', () => {
    const byKey = new Map(events.map((event) => [`${event.meta.metric_name}|${event.meta.unique_id}`, event]));
    const sample = orders.filter(isAttributable).filter((order, index) => index % 97 === 0 || (order.customLineItems.length > 0 && order.custom && index % 5 === 0)).slice(0, 25);
    expect(sample.some((order) => order.customLineItems.length > 0)).toBe(true);
    for (const order of sample) {
      const mapped = orderEvents(order, {
        settings: defaultMappingSettings(),
        productById: (id) => products.get(id),
        categoryById: (id) => categories.get(id),
      });
      if (mapped.kind !== 'events') throw new Error(`order ${order.id} was expected to have events`);
      for (const expected of mapped.events) {
        const recorded = byKey.get(`${expected.metricName}|${expected.uniqueId}`);
        expect(recorded).toBeDefined();
        const { $value, $event_id, ...properties } = recorded.attributes.event_properties;
        expect(properties).toStrictEqual(JSON.parse(JSON.stringify(expected.properties)));
        expect({ $value, $event_id }).toStrictEqual({ $value: expected.value, $event_id: expected.uniqueId });
        expect(recorded.attributes.datetime).toBe(new Date(Math.floor(expected.time.getTime() / 1000) * 1000).toISOString());
        expect(recorded.meta).toMatchObject({ value_currency: expected.valueCurrency, backfill: true });
        const profile = profilesById.get(recorded.meta.profile_id).attributes;
        // toEqual: an identifier the order does not have is absent from the mapping and null in Klaviyo.
        expect({ email: profile.email ?? undefined, externalId: profile.external_id ?? undefined }).toEqual(mapped.profile);
      }
      // ItemNames and Categories checked against the orders and catalog independently of the mapper.
      const placed = byKey.get(`Placed Order|${order.id}`).attributes.event_properties;
      const itemNames = [...order.lineItems, ...order.customLineItems].map((item) => Object.values(item.name).find(Boolean));
      expect(placed.ItemNames).toStrictEqual([...new Set(itemNames)]);
      expect(placed.Categories).toStrictEqual([...new Set(order.lineItems.flatMap((lineItem) => categoryPathsViaParents(lineItem.productId)))]);
      for (const lineItem of order.lineItems) {
        expect(byKey.get(`Ordered Product|${lineItem.id}`).attributes.event_properties.Categories).toStrictEqual(
          categoryPathsViaParents(lineItem.productId),
        );
      }
    }
    expect(sample.some((order) => byKey.get(`Placed Order|${order.id}`).attributes.event_properties.Categories.some((path: string) => path.includes(' > ')))).toBe(true);
  });

  it('sends no request the emulator refuses, and marks every event as backfill', async () => {
    expect((await klaviyo.stats()).rejected).toBe(0);
    expect(events.every((event) => event.meta.backfill === true)).toBe(true);
  });

  it('adds no event when the import runs again (unique_id)', async () => {
    const status = await importOrders({ mode: 'all' });
    expect(status.state).toBe('completed');
    expect(await klaviyoEvents()).toHaveLength(events.length);
    expect((await klaviyo.stats()).rejected).toBe(0);
  }, 600_000);
});

describe('partial imports', () => {
  beforeEach(async () => {
    await klaviyo.reset();
  });

  it('ids imports exactly the listed orders, counts an unknown id as failed, and sends backfill false when the setting is off', async () => {
    const listed = orders.filter(isAttributable).filter((_, index) => index % 150 === 3);
    const missingId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
    const settings = { ...defaultMappingSettings(), backfillEvents: false };

    const status = await importOrders({ mode: 'ids', ids: [...listed.map((order) => order.id), missingId] }, settings);

    expect(status).toMatchObject({ state: 'completed', counters: { read: listed.length, failed: 1 } });
    expect(status.recentFailures).toStrictEqual([{ id: missingId, reason: 'not found in commercetools' }]);
    const recorded = await klaviyoEvents();
    expect(placedOrderIds(recorded)).toStrictEqual(listed.map((order) => order.id).sort());
    expect(recorded.length).toBeGreaterThan(listed.length);
    expect(recorded.every((event) => event.meta.backfill === false)).toBe(true);
    expect((await klaviyo.stats()).rejected).toBe(0);
  }, 120_000);

  it('startId imports every order from that id on in id order, that id included', async () => {
    const attributableIds = orders.filter(isAttributable).map((order) => order.id).sort();
    const startId = attributableIds[Math.floor(attributableIds.length * 0.7)];

    const status = await importOrders({ mode: 'startId', startId });

    const expected = orders.filter((order) => order.id >= startId);
    expect(status).toMatchObject({ state: 'completed', counters: { read: expected.length, failed: 0 } });
    const imported = placedOrderIds(await klaviyoEvents());
    expect(imported).toStrictEqual(expected.filter(isAttributable).map((order) => order.id).sort());
    expect(imported[0]).toBe(startId);
  }, 120_000);
});
