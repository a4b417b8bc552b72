/**
 * Incremental and window imports end to end, over the service's HTTP API, against the commercetools
 * sandbox (changed through its HTTP API, as a shop would change it) and the Klaviyo emulator.
 */
import type { Customer, Order, Product } from '@commercetools/platform-sdk';
import type { EmulatorRecords } from '../support/klaviyo-answers';
import {
  emulatorInspector,
  http,
  pollUntil,
  runImport,
  startService,
  type EndedRun,
  type RunningService,
} from '../support/service-harness';
import { commercetoolsRequest, readAllRecords, startSandbox, type RunningSandbox } from '../support/sandbox-process';

const sizes = { customers: 200, orders: 300, categories: 10, products: 100 };
const importOrder = ['categories', 'products', 'customers', 'orders'] as const;
type Type = (typeof importOrder)[number];
const runTimeoutMs = 180_000;

let sandbox: RunningSandbox;
let service: RunningService;
let inspector: ReturnType<typeof emulatorInspector>;

/** A record as the emulator's inspection API shows it (events carry `meta`). */
interface KlaviyoRecord {
  id: string;
  attributes: Record<string, unknown>;
  relationships?: { item?: { data: { id: string } } };
  meta?: { metric_name: string; profile_id: string; unique_id: string | null };
}

/** The inspection API with the shapes this test reads. */
const emulator = {
  records: async (kind: keyof EmulatorRecords) => (await inspector.records(kind)) as KlaviyoRecord[],
  stats: async () => (await inspector.stats()) as { records: Record<string, number> },
  rejected: async () => (await inspector.rejected()) as unknown[],
  reset: () => inspector.reset(),
};

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 11, ...sizes, rateLimitSpeed: 10 });
  inspector = emulatorInspector(sandbox.klaviyoUrl!);
  service = await startService(sandbox.env);
}, 120_000);

afterAll(async () => {
  await service?.close();
  await sandbox?.stop();
});

/** Starts an import over HTTP (202) and polls its status until it ends. */
/** Runs an import to its end, which must be completed. */
async function runToCompletion(type: Type, body?: unknown): Promise<EndedRun> {
  const status = await runImport(service.url, type, body, runTimeoutMs);
  expect(status.state).toBe('completed');
  return status;
}

/** Applies update actions to a commercetools record at its current version. */
async function update(resource: string, id: string, actions: unknown[]): Promise<void> {
  const current = await commercetoolsRequest<{ version: number }>(sandbox, 'GET', `/${resource}/${id}`);
  const updated = await commercetoolsRequest(sandbox, 'POST', `/${resource}/${id}`, {
    version: current.body.version,
    actions,
  });
  if (updated.status !== 200)
    throw new Error(`update ${resource}/${id}: ${updated.status} ${JSON.stringify(updated.body)}`);
}

/** An order its events can be attributed to a profile for; the others are skipped. */
const hasBuyer = (order: Order) => Boolean(order.customerEmail ?? order.customerId);

/**
 * The emulator's stats once it holds `count` events: Klaviyo records the events of a bulk request
 * after accepting it, and a count that goes past `count` fails at once.
 */
async function eventsSettled(count: number): Promise<{ records: Record<string, number> }> {
  return pollUntil(`${count} events in Klaviyo`, async () => {
    const stats = await emulator.stats();
    if (stats.records.events > count) throw new Error(`${stats.records.events} events in Klaviyo, expected ${count}`);
    return stats.records.events === count ? stats : undefined;
  });
}

/** Fields that say when or under which random id Klaviyo stored a record, not what it holds. */
const volatileFields = new Set(['links', 'created', 'updated', 'uuid', 'profile_id', 'last_event_date']);

/** What Klaviyo holds, comparable across imports: profiles by content, events by their profile's external id. */
async function klaviyoContent(): Promise<Record<string, string[]>> {
  const strip = (value: unknown): string =>
    JSON.stringify(value, (key, field: unknown) => (volatileFields.has(key) ? undefined : field));
  const profiles = await emulator.records('profiles');
  const externalIdOf = new Map(profiles.map((profile) => [profile.id, profile.attributes.external_id]));
  const events = await emulator.records('events');
  const content: Record<string, string[]> = {
    profiles: profiles.map((profile) => strip(profile.attributes)),
    // An event's properties are the order as it was when the event was sent: Klaviyo keeps the
    // first event of a unique_id, so only which events exist, and when, can match a new import.
    events: events.map(({ attributes, meta }) =>
      strip({ profile: externalIdOf.get(meta!.profile_id), datetime: attributes.datetime, ...meta }),
    ),
  };
  for (const kind of ['catalog-categories', 'catalog-items', 'catalog-variants'] as const)
    content[kind] = (await emulator.records(kind)).map(strip);
  for (const records of Object.values(content)) records.sort();
  return content;
}

describe('incremental imports', () => {
  it('refuses "since": "lastRun" before any import completed, naming what to do', async () => {
    const answer = await http(`${service.url}/sync/customers`, 'POST', { since: 'lastRun' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: 'refused',
      message: expect.stringContaining('No customers import has completed yet') as unknown,
    });
  });

  it(
    'after a full import, "since": "lastRun" sends only the 1% that changed, and Klaviyo ends as after a full import',
    async () => {
      type Finished = EndedRun;
      const full = {} as Record<Type, Finished>;
      for (const type of importOrder) full[type] = await runToCompletion(type);

      // 1% of each type changes in commercetools.
      const customers = await readAllRecords<Customer>(sandbox, 'customers');
      const changedCustomers = customers.slice(0, sizes.customers / 100);
      for (const customer of changedCustomers)
        await update('customers', customer.id, [{ action: 'setFirstName', firstName: 'Renamed' }]);

      // Open orders with a buyer become Cancelled: each adds its Cancelled Order event only.
      const orders = await readAllRecords<Order>(sandbox, 'orders');
      const changedOrders = orders
        .filter((order) => order.orderState === 'Open' && hasBuyer(order))
        .slice(0, sizes.orders / 100);
      expect(changedOrders).toHaveLength(sizes.orders / 100);
      for (const order of changedOrders)
        await update('orders', order.id, [{ action: 'changeOrderState', orderState: 'Cancelled' }]);

      const products = (await readAllRecords<Product>(sandbox, 'products')).filter(
        (product) => product.masterData.published && !product.masterData.hasStagedChanges,
      );
      const renamed = products[0];
      await update('products', renamed.id, [
        { action: 'changeName', name: { en: 'Renamed product', de: 'Umbenannt' }, staged: false },
      ]);
      // A SKU moves from one product to another: removed from the first, then added to the second.
      const [from, to] = products
        .slice(1)
        .filter((product) => product.masterData.current.variants.some((variant) => variant.sku));
      const moved = from.masterData.current.variants.find((variant) => variant.sku)!;
      await update('products', from.id, [{ action: 'removeVariant', id: moved.id, staged: false }]);
      await update('products', to.id, [{ action: 'addVariant', sku: moved.sku, staged: false }]);

      const categories = await readAllRecords<{ id: string; ancestors: unknown[] }>(sandbox, 'categories');
      const leaf = categories.find(
        (category) => !categories.some((other) => JSON.stringify(other.ancestors).includes(category.id)),
      )!;
      await update('categories', leaf.id, [{ action: 'changeName', name: { en: 'Renamed leaf', de: 'Blatt' } }]);

      const before = await emulator.stats();
      const incremental = {} as Record<Type, Finished>;
      for (const type of importOrder) incremental[type] = await runToCompletion(type, { since: 'lastRun' });
      // Klaviyo records events of an accepted bulk request a moment later.
      const after = await eventsSettled(before.records.events + changedOrders.length);

      for (const type of importOrder) {
        const modifiedFrom = new Date(Date.parse(full[type].startedAt!) - 300_000).toISOString();
        expect(incremental[type]).toMatchObject({
          mode: 'since',
          since: 'lastRun',
          sinceRunId: full[type].runId,
          bounds: { modifiedFrom },
          counters: { failed: 0 },
        });
      }
      expect(incremental.customers.counters).toMatchObject({ read: 2, sent: 2, succeeded: 2 });
      expect(incremental.orders.counters).toMatchObject({ read: 3, skipped: 0 });
      expect(incremental.products.counters).toMatchObject({ read: 3 });
      expect(incremental.categories.counters).toMatchObject({ read: 1, sent: 1 });
      // In Klaviyo: one more event per changed order, no new profile, the moved SKU's variant kept.
      expect(after.records).toMatchObject({
        profiles: before.records.profiles,
        catalogItems: before.records.catalogItems,
        catalogVariants: before.records.catalogVariants,
        catalogCategories: before.records.catalogCategories,
      });
      expect(await emulator.rejected()).toEqual([]);
      const variants = await emulator.records('catalog-variants');
      const movedVariant = variants.find((variant) => variant.attributes.sku === moved.sku);
      expect(movedVariant?.relationships?.item?.data.id).toBe(`$custom:::$default:::${to.id}`);

      // The same commercetools data imported in full into an empty Klaviyo gives the same content.
      const afterIncremental = await klaviyoContent();
      await emulator.reset();
      for (const type of importOrder) await runToCompletion(type);
      await eventsSettled(afterIncremental.events.length);
      const afterFull = await klaviyoContent();
      expect(afterFull).toEqual(afterIncremental);
    },
    10 * runTimeoutMs,
  );

  it('a window import sends exactly the orders created in the window', async () => {
    await emulator.reset();
    const orders = (await readAllRecords<Order>(sandbox, 'orders')).sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt),
    );
    const createdFrom = orders[100].createdAt;
    const createdTo = orders[200].createdAt;
    const inWindow = orders.filter((order) => order.createdAt >= createdFrom && order.createdAt < createdTo);

    const status = await runToCompletion('orders', { createdFrom, createdTo });
    expect(status).toMatchObject({ mode: 'window', bounds: { createdFrom, createdTo } });
    expect(status.counters).toMatchObject({ read: inWindow.length, failed: 0 });

    const attributable = inWindow.filter(hasBuyer);
    expect(attributable.length).toBeGreaterThan(0);
    // Klaviyo records the events of an accepted bulk request a moment later.
    const placed = await pollUntil(`${attributable.length} Placed Order events`, async () => {
      const events = (await emulator.records('events')).filter((event) => event.meta?.metric_name === 'Placed Order');
      return events.length >= attributable.length ? events : undefined;
    });
    expect(placed.map((event) => event.meta?.unique_id).sort()).toEqual(attributable.map((order) => order.id).sort());
    expect(status.counters.skipped).toBe(inWindow.length - attributable.length);
  });
});
