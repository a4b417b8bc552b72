/**
 * The orders import end to end: through the service's HTTP API, as a user runs it
 * (POST /sync/orders → 202, GET /sync/orders/status until completed), against the commercetools
 * sandbox (a child process, over HTTP) and the Klaviyo emulator (over HTTP, validating every
 * request against Klaviyo's spec). Results are read back from the emulator's inspection API and
 * the commercetools sandbox.
 *
 * ORDERS_E2E_COUNT sets the number of generated orders (default 20,000; 2,000 makes a quicker run
 * while working on it).
 */
import type { Category, Order, Product } from '@commercetools/platform-sdk';
import { defaultMappingSettings } from '../../src/config/mapping-settings';
import { orderEvents } from '../../src/mappers/order-events';
import { emulatorInspector, http, startService, waitForState, type RunningService } from '../support/service-harness';
import {
  commercetoolsRequest,
  commercetoolsStats,
  readAllRecords,
  resetCommercetoolsStats,
  startSandbox,
  type RunningSandbox,
} from '../support/sandbox-process';
import type { RunStatus, SyncAnswer } from '../support/service-answers';
import type { EventResource, ProfileResource } from '../support/klaviyo-answers';
import { stringMatching } from '../support/matchers';

// 20,000 orders by default, enough to cross many pages of every reader; ORDERS_E2E_COUNT makes a quicker run while working on it.
const orderCount = Number(process.env.ORDERS_E2E_COUNT ?? 20_000);
/** How long one import may take before the status poll gives up. */
const runTimeoutMs = Math.max(120_000, orderCount * 30);

let sandbox: RunningSandbox;
let service: RunningService;
let klaviyo: ReturnType<typeof emulatorInspector>;
let orders: Order[];
let products: Map<string, Product>;
let categories: Map<string, Category>;

/** Every record of a commercetools resource in the sandbox. */
function readAll<T extends { id: string }>(resource: string): Promise<T[]> {
  return readAllRecords<T>(sandbox, resource);
}

/** Every order with its payments expanded, read through the sandbox's API in id order. */
async function readOrdersWithPayments(): Promise<Order[]> {
  const read: Order[] = [];
  for (;;) {
    const params = new URLSearchParams({
      expand: 'paymentInfo.payments[*]',
      sort: 'id asc',
      limit: '500',
      withTotal: 'false',
    });
    if (read.length > 0) params.set('where', `id > "${read[read.length - 1].id}"`);
    const { status, body } = await commercetoolsRequest<{ results: Order[] }>(
      sandbox,
      'GET',
      `/orders?${params.toString()}`,
    );
    expect(status).toBe(200);
    read.push(...body.results);
    if (body.results.length < 500) return read;
  }
}

/**
 * What Refunded Order must say for an order, worked out from its payments here rather than by the
 * mapper: the successful refunds' sum in major units, their currency, and the latest one's time
 * (to the second, as Klaviyo records it). Undefined when no refund succeeded.
 */
function expectedRefund(order: Order): { value: number; currency: string; datetime: string } | undefined {
  const refunds = (order.paymentInfo?.payments ?? [])
    .flatMap((payment) => payment.obj!.transactions)
    .filter((transaction) => transaction.type === 'Refund' && transaction.state === 'Success');
  if (refunds.length === 0) return undefined;
  const { currencyCode, fractionDigits } = order.totalPrice;
  expect(
    refunds.every(
      (refund) => refund.amount.currencyCode === currencyCode && refund.amount.fractionDigits === fractionDigits,
    ),
  ).toBe(true);
  const cents = refunds.reduce((sum, refund) => sum + refund.amount.centAmount, 0);
  const latest = refunds
    .map((refund) => refund.timestamp!)
    .sort()
    .at(-1)!;
  return {
    value: cents / 10 ** fractionDigits,
    currency: currencyCode,
    datetime: new Date(Math.floor(Date.parse(latest) / 1000) * 1000).toISOString(),
  };
}

/** Starts an orders import over HTTP (202) and polls its status until it ends. */
async function importOrders(running: RunningService, body?: unknown): Promise<RunStatus> {
  const started = await http<SyncAnswer>(`${running.url}/sync/orders`, 'POST', body);
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ type: 'orders', status: '/sync/orders/status' });
  const status = await waitForState(running.url, 'orders', ['completed', 'failed', 'stopped'], runTimeoutMs);
  expect(status.runId).toBe(started.body.runId);
  // The end state shows only once the final checkpoint is saved and the lock released: a client
  // that sees it can start the next run at once, and the run's requests are all counted by then.
  expect(status.lock).toBeUndefined();
  return status;
}

/**
 * The emulator applies bulk event requests as jobs on a timer (Klaviyo answers 202 before the
 * events exist); waits until every job has a completed_at, then reads the events.
 */
async function klaviyoEvents(): Promise<EventResource[]> {
  for (let attempt = 0; ; attempt++) {
    const jobs = await klaviyo.records('jobs');
    if (jobs.every((job) => job.attributes.completed_at)) return klaviyo.records('events');
    if (attempt === 1_500)
      throw new Error(`emulator jobs not complete: ${JSON.stringify(jobs.map((job) => job.attributes.status))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const isAttributable = (order: Order) => Boolean(order.customerEmail || order.customerId);
const metricCounts = (events: EventResource[]) =>
  events.reduce<Record<string, number>>(
    (counts, event) => ({ ...counts, [event.meta.metric_name]: (counts[event.meta.metric_name] ?? 0) + 1 }),
    {},
  );
const placedOrderIds = (events: EventResource[]) =>
  events
    .filter((event) => event.meta.metric_name === 'Placed Order')
    .map((event) => event.meta.unique_id)
    .sort();

/** Category paths walked up through `parent`, not the `ancestors` list the service reads. */
function categoryPathsViaParents(productId: string): string[] {
  const paths = (products.get(productId)?.masterData.current.categories ?? []).flatMap((reference) => {
    const names: string[] = [];
    for (
      let category = categories.get(reference.id);
      category;
      category = category.parent && categories.get(category.parent.id)
    ) {
      names.unshift(Object.values(category.name).find(Boolean)!);
    }
    return names.map((_, depth) => names.slice(0, depth + 1).join(' > '));
  });
  return [...new Set(paths)];
}

beforeAll(async () => {
  // Rate limits off at the emulator: this suite is about what is sent; the client paces itself anyway.
  sandbox = await startSandbox({
    orders: orderCount,
    customers: 300,
    products: 200,
    categories: 30,
    seed: 4,
    rateLimitSpeed: 0,
    startTimeoutMs: 240_000,
  });
  klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
  orders = await readOrdersWithPayments();
  products = new Map((await readAll<Product>('products')).map((product) => [product.id, product]));
  categories = new Map((await readAll<Category>('categories')).map((category) => [category.id, category]));
  expect(orders).toHaveLength(orderCount);
  service = await startService(sandbox.env);
}, 300_000);

afterAll(async () => {
  await service?.close();
  await sandbox?.stop();
});

describe('POST /sync/orders', () => {
  let events: EventResource[];
  let profilesById: Map<string, ProfileResource>;

  beforeAll(async () => {
    await klaviyo.reset();
    await resetCommercetoolsStats(sandbox);
    const started = Date.now();
    const status = await importOrders(service);
    const seconds = (Date.now() - started) / 1_000;
    expect(status).toMatchObject({ state: 'completed', mode: 'all', counters: { read: orderCount, failed: 0 } });
    expect(status.counters!.skipped).toBe(orders.filter((order) => !isAttributable(order)).length);
    const commercetoolsRequests = (await commercetoolsStats(sandbox)).requests;
    // Polling a running import costs commercetools nothing (this instance holds the lock); the
    // poll that saw the end read the lock once. Everything else is the import's own.
    await resetCommercetoolsStats(sandbox);
    expect((await http<RunStatus>(`${service.url}/sync/orders/status`)).body.state).toBe('completed');
    expect((await commercetoolsStats(sandbox)).requests.total).toBe(1);
    const importCommercetoolsRequests = commercetoolsRequests.total - 1;

    events = await klaviyoEvents();
    profilesById = new Map((await klaviyo.records('profiles')).map((profile) => [profile.id, profile]));
    const klaviyoRequests = (await klaviyo.stats()).requests.total;
    const perThousand = (count: number) => Math.round((count / orderCount) * 1_000 * 10) / 10;
    process.stdout.write(
      `orders e2e: ${orderCount} orders, ${events.length} events in ${seconds.toFixed(1)} s over HTTP; ` +
        `Klaviyo requests ${klaviyoRequests} (${perThousand(klaviyoRequests)} per 1,000 orders); ` +
        `commercetools requests of the import ${importCommercetoolsRequests} (${perThousand(importCommercetoolsRequests)} per 1,000 orders) ` +
        `${JSON.stringify(commercetoolsRequests.byResource)} less the final status poll's lock read\n`,
    );
    expect(perThousand(klaviyoRequests)).toBeLessThanOrEqual(10);
    expect(perThousand(importCommercetoolsRequests)).toBeLessThanOrEqual(10);
  }, 900_000);

  it('records as many events of each metric as the orders imply', () => {
    const attributable = orders.filter(isAttributable);
    expect(attributable.length).toBeGreaterThan(0);
    expect(metricCounts(events)).toStrictEqual({
      'Placed Order': attributable.length,
      'Ordered Product': attributable.reduce((sum, order) => sum + order.lineItems.length, 0),
      'Fulfilled Order': attributable.filter((order) => ['Confirmed', 'Complete'].includes(order.orderState)).length,
      'Cancelled Order': attributable.filter((order) => order.orderState === 'Cancelled').length,
      'Refunded Order': attributable.filter((order) => expectedRefund(order)).length,
    });
  });

  it('records one Refunded Order per order with successful refunds, equal to them, and none for any other order', () => {
    const attributable = orders.filter(isAttributable);
    const expected = Object.fromEntries(
      attributable.flatMap((order) => {
        const refund = expectedRefund(order);
        return refund ? [[order.id, refund]] : [];
      }),
    );
    const recorded: unknown = Object.fromEntries(
      events
        .filter((event) => event.meta.metric_name === 'Refunded Order')
        .map((event) => [
          event.meta.unique_id,
          {
            value: event.attributes.event_properties.$value,
            currency: event.meta.value_currency,
            datetime: event.attributes.datetime,
          },
        ]),
    );
    expect(recorded).toStrictEqual(expected);
    // The generated payments hold every case: partial and full refunds, several over several
    // payments, and orders whose refunds are only pending or failed, or that have none.
    const refunds = (order: Order, state: string) =>
      (order.paymentInfo?.payments ?? [])
        .flatMap((payment) => payment.obj!.transactions)
        .filter((t) => t.type === 'Refund' && t.state === state);
    const refunded = attributable.filter((order) => expected[order.id]);
    expect(refunded.some((order) => expected[order.id].value < order.totalPrice.centAmount / 100)).toBe(true);
    expect(refunded.some((order) => expected[order.id].value === order.totalPrice.centAmount / 100)).toBe(true);
    expect(refunded.some((order) => order.paymentInfo!.payments.length > 1)).toBe(true);
    const withoutSuccess = attributable.filter((order) => !expected[order.id]);
    expect(withoutSuccess.some((order) => refunds(order, 'Pending').length > 0)).toBe(true);
    expect(withoutSuccess.some((order) => refunds(order, 'Failure').length > 0)).toBe(true);
    expect(withoutSuccess.some((order) => !order.paymentInfo)).toBe(true);
  });

  it('records a sample of events exactly as the mapping gives them, ItemNames and Categories included', () => {
    const byKey = new Map(events.map((event) => [`${event.meta.metric_name}|${event.meta.unique_id}`, event]));
    const sample = orders
      .filter(isAttributable)
      .filter(
        (order, index) => index % 97 === 0 || (order.customLineItems.length > 0 && order.custom && index % 5 === 0),
      )
      .slice(0, 25);
    expect(sample.some((order) => order.customLineItems.length > 0)).toBe(true);
    expect(sample.some((order) => expectedRefund(order))).toBe(true);
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
        const { $value, $event_id, ...properties } = recorded!.attributes.event_properties;
        expect(properties).toStrictEqual(JSON.parse(JSON.stringify(expected.properties)));
        expect({ $value, $event_id }).toStrictEqual({ $value: expected.value, $event_id: expected.uniqueId });
        expect(recorded!.attributes.datetime).toBe(
          new Date(Math.floor(expected.time.getTime() / 1000) * 1000).toISOString(),
        );
        expect(recorded!.meta).toMatchObject({ value_currency: expected.valueCurrency, backfill: true });
        const profile = profilesById.get(recorded!.meta.profile_id)!.attributes;
        // toEqual: an identifier the order does not have is absent from the mapping and null in Klaviyo.
        expect({ email: profile.email ?? undefined, externalId: profile.external_id ?? undefined }).toEqual(
          mapped.profile,
        );
      }
      // ItemNames and Categories checked against the orders and catalog independently of the mapper.
      const placed = byKey.get(`Placed Order|${order.id}`)!.attributes.event_properties;
      const itemNames = [...order.lineItems, ...order.customLineItems].map((item) =>
        Object.values(item.name).find(Boolean),
      );
      expect(placed.ItemNames).toStrictEqual([...new Set(itemNames)]);
      expect(placed.Categories).toStrictEqual([
        ...new Set(order.lineItems.flatMap((lineItem) => categoryPathsViaParents(lineItem.productId))),
      ]);
      for (const lineItem of order.lineItems) {
        expect(byKey.get(`Ordered Product|${lineItem.id}`)!.attributes.event_properties.Categories).toStrictEqual(
          categoryPathsViaParents(lineItem.productId),
        );
      }
    }
    expect(
      sample.some((order) =>
        (byKey.get(`Placed Order|${order.id}`)!.attributes.event_properties.Categories as string[]).some((path) =>
          path.includes(' > '),
        ),
      ),
    ).toBe(true);
  });

  it('sends no request the emulator refuses, and marks every event as backfill', async () => {
    expect((await klaviyo.stats()).rejected).toBe(0);
    expect(await klaviyo.rejected()).toStrictEqual([]);
    expect(events.every((event) => event.meta.backfill === true)).toBe(true);
  });

  it('answers 423 to a second start while the run goes on, and adds no event when the import runs again (unique_id)', async () => {
    const startedAt = Date.now();
    const started = await http<SyncAnswer>(`${service.url}/sync/orders`, 'POST');
    expect(started.status).toBe(202);
    const second = await http<SyncAnswer>(`${service.url}/sync/orders`, 'POST', { startId: orders[0].id });
    expect(second.status).toBe(423);
    expect(second.body).toMatchObject({ error: 'locked' });
    expect(second.body.message).toContain('already running');
    const status = await waitForState(service.url, 'orders', ['completed', 'failed', 'stopped'], runTimeoutMs);
    expect(status.lock).toBeUndefined();
    // The refused start neither replaced nor disturbed the run.
    expect(status).toMatchObject({
      runId: started.body.runId,
      state: 'completed',
      mode: 'all',
      counters: { read: orderCount, failed: 0 },
    });
    const runSeconds = (Date.now() - startedAt) / 1_000;
    const afterSecondRun = await klaviyoEvents();
    expect(afterSecondRun).toHaveLength(events.length);
    expect(metricCounts(afterSecondRun)).toStrictEqual(metricCounts(events));
    process.stdout.write(
      `orders e2e second run: ${runSeconds.toFixed(1)} s over HTTP, ${((Date.now() - startedAt) / 1_000).toFixed(1)} s until the emulator applied every job\n`,
    );
    expect((await klaviyo.stats()).rejected).toBe(0);
  }, 900_000);
});

describe('partial imports', () => {
  beforeEach(async () => {
    await klaviyo.reset();
  });

  it('{"ids":[…]} imports exactly the listed orders, counts an unknown id as failed, and sends backfill false when the setting is off', async () => {
    const listed = orders.filter(isAttributable).filter((_, index) => index % 150 === 3);
    const missingId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
    const withoutBackfill = await startService(sandbox.env, { settings: { backfillEvents: false } });
    let status: RunStatus;
    try {
      status = await importOrders(withoutBackfill, { ids: [...listed.map((order) => order.id), missingId] });
    } finally {
      await withoutBackfill.close();
    }

    expect(status).toMatchObject({ state: 'completed', mode: 'ids', counters: { read: listed.length, failed: 1 } });
    expect(status.recentFailures).toStrictEqual([{ id: missingId, reason: 'not found in commercetools' }]);
    const recorded = await klaviyoEvents();
    expect(placedOrderIds(recorded)).toStrictEqual(listed.map((order) => order.id).sort());
    expect(recorded.length).toBeGreaterThan(listed.length);
    expect(recorded.every((event) => event.meta.backfill === false)).toBe(true);
    expect((await klaviyo.stats()).rejected).toBe(0);
  }, 120_000);

  it('{"startId":"…"} imports every order from that id on in id order, that id included', async () => {
    const attributableIds = orders
      .filter(isAttributable)
      .map((order) => order.id)
      .sort();
    const startId = attributableIds[Math.floor(attributableIds.length * 0.7)];

    const status = await importOrders(service, { startId });

    const expected = orders.filter((order) => order.id >= startId);
    expect(status).toMatchObject({
      state: 'completed',
      mode: 'startId',
      counters: { read: expected.length, failed: 0 },
    });
    const imported = placedOrderIds(await klaviyoEvents());
    expect(imported).toStrictEqual(
      expected
        .filter(isAttributable)
        .map((order) => order.id)
        .sort(),
    );
    expect(imported[0]).toBe(startId);
    expect((await klaviyo.stats()).rejected).toBe(0);
  }, 120_000);

  it("fails only the orders whose events Klaviyo refuses, each once with Klaviyo's reason, and every other event lands", async () => {
    const listed = orders.filter(isAttributable).filter((_, index) => index % 7 === 2);
    // One order loses one of its line items' events; another every event that names its id.
    const oneEventRefused = listed.find((order) => order.lineItems.length >= 2)!;
    const allEventsRefused = listed.find((order) => order !== oneEventRefused)!;
    const refusedLineItem = oneEventRefused.lineItems[1].id;
    expect((await klaviyo.configure({ refuseRecords: [refusedLineItem, allEventsRefused.id] })).status).toBe(200);
    let status: RunStatus;
    try {
      status = await importOrders(service, { ids: listed.map((order) => order.id) });
    } finally {
      await klaviyo.configure({ refuseRecords: [] });
    }

    expect(status).toMatchObject({
      state: 'completed',
      mode: 'ids',
      counters: { read: listed.length, failed: 2, skipped: 0 },
    });
    const reason = stringMatching(
      /^Klaviyo refused the event: invalid .+ at \/data\/attributes\/events-bulk-create\/data\/\d+\/attributes\/events\/data\/\d+\//,
    );
    expect(status.recentFailures!.sort((a, b) => (a.id < b.id ? -1 : 1))).toStrictEqual(
      [
        { id: oneEventRefused.id, reason },
        { id: allEventsRefused.id, reason },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const recorded = new Set(
      (await klaviyoEvents()).map((event) => `${event.meta.metric_name}|${event.meta.unique_id}`),
    );
    const context = {
      settings: defaultMappingSettings(),
      productById: (id: string) => products.get(id),
      categoryById: (id: string) => categories.get(id),
    };
    let expectedEvents = 0;
    let landedOrders = 0;
    const landedOfPartlyRefused: string[] = [];
    for (const order of listed) {
      const mapped = orderEvents(order, context);
      if (mapped.kind !== 'events') throw new Error(`order ${order.id} was expected to have events`);
      for (const event of mapped.events) {
        const refused =
          JSON.stringify(event).includes(refusedLineItem) || JSON.stringify(event).includes(allEventsRefused.id);
        expect({
          order: order.id,
          event: event.uniqueId,
          landed: recorded.has(`${event.metricName}|${event.uniqueId}`),
        }).toStrictEqual({
          order: order.id,
          event: event.uniqueId,
          landed: !refused,
        });
        if (!refused) expectedEvents++;
        if (!refused && order === oneEventRefused) landedOfPartlyRefused.push(event.uniqueId);
      }
      if (mapped.events.every((event) => recorded.has(`${event.metricName}|${event.uniqueId}`))) landedOrders++;
    }
    expect(recorded.size).toBe(expectedEvents);
    expect(status.counters!.sent).toBe(expectedEvents);
    // The order with one refused event still failed, though its other events landed.
    expect(landedOfPartlyRefused.length).toBeGreaterThan(0);
    expect(status.counters!.read).toBe(landedOrders + status.counters!.failed + status.counters!.skipped);
  }, 120_000);

  // Last: it deletes a product from the sandbox, which the tests before it read.
  it('sends every event of orders whose product was deleted since, Categories from the products that remain', async () => {
    const withTwoProducts = orders
      .filter(isAttributable)
      .find((order) => new Set(order.lineItems.map((lineItem) => lineItem.productId)).size >= 2)!;
    const goneId = withTwoProducts.lineItems[0].productId;
    const naming = orders
      .filter(isAttributable)
      .filter((order) => order.lineItems.some((lineItem) => lineItem.productId === goneId))
      .slice(0, 30);
    const { body: stored } = await commercetoolsRequest<Product>(sandbox, 'GET', `/products/${goneId}`);
    expect(
      (await commercetoolsRequest(sandbox, 'DELETE', `/products/${goneId}?version=${stored.version}`)).status,
    ).toBe(200);
    expect((await commercetoolsRequest(sandbox, 'GET', `/products/${goneId}`)).status).toBe(404);

    const status = await importOrders(service, { ids: naming.map((order) => order.id) });

    expect(status).toMatchObject({ state: 'completed', counters: { read: naming.length, failed: 0, skipped: 0 } });
    const byKey = new Map(
      (await klaviyoEvents()).map((event) => [`${event.meta.metric_name}|${event.meta.unique_id}`, event]),
    );
    const remaining = (id: string) => (id === goneId ? undefined : products.get(id));
    const context = {
      settings: defaultMappingSettings(),
      productById: remaining,
      categoryById: (id: string) => categories.get(id),
    };
    let expectedEvents = 0;
    for (const order of naming) {
      const mapped = orderEvents(order, context);
      if (mapped.kind !== 'events') throw new Error(`order ${order.id} was expected to have events`);
      for (const expected of mapped.events) {
        const { $value, $event_id, ...properties } = byKey.get(`${expected.metricName}|${expected.uniqueId}`)!
          .attributes.event_properties;
        expect(properties).toStrictEqual(JSON.parse(JSON.stringify(expected.properties)));
        expectedEvents++;
      }
      // Checked against the catalog independently of the mapper: paths of the remaining products only.
      const placed = byKey.get(`Placed Order|${order.id}`)!.attributes.event_properties;
      const remainingPaths = order.lineItems
        .filter((lineItem) => lineItem.productId !== goneId)
        .flatMap((lineItem) => categoryPathsViaParents(lineItem.productId));
      expect(placed.Categories).toStrictEqual([...new Set(remainingPaths)]);
      for (const lineItem of order.lineItems.filter((candidate) => candidate.productId === goneId)) {
        const ordered = byKey.get(`Ordered Product|${lineItem.id}`)!.attributes.event_properties;
        expect(ordered).toMatchObject({
          name: lineItem.name,
          variant: JSON.parse(JSON.stringify(lineItem.variant)) as unknown,
          Categories: [],
        });
      }
    }
    expect(byKey.size).toBe(expectedEvents);
    expect((await klaviyo.stats()).rejected).toBe(0);
  }, 120_000);
});
