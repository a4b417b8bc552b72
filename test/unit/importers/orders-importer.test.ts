import type { Category, LineItem, Order, Product } from '@commercetools/platform-sdk';
import { CommercetoolsClient } from '../../../src/clients/commercetools/commercetools-client';
import type { PageQuery } from '../../../src/clients/commercetools/keyset-pages';
import type { KlaviyoClient } from '../../../src/clients/klaviyo/klaviyo-client';
import { PlatformError } from '../../../src/platform/platform-error';
import type { Config } from '../../../src/config/env';
import { defaultMappingSettings } from '../../../src/config/mapping-settings';
import { CommitTracker } from '../../../src/engine/checkpoints';
import type { EffectiveRequest, ImportRun } from '../../../src/engine/importer';
import { RunProgress } from '../../../src/engine/run-progress';
import { OrdersImporter } from '../../../src/importers/orders-importer';
import { createLogger } from '../../../src/logging/logger';
import { anyOf, stringContaining, stringMatching } from '../../support/matchers';

/**
 * The importer against in-memory stand-ins for both clients: the commercetools one answers the
 * predicates the importer sends (id ranges and id lists, sorted by id), the Klaviyo one records
 * each bulk request's body and can refuse chosen requests.
 */

// Ids spread over the hex id space like commercetools UUIDs, so every reader has some.
const orderId = (index: number) => `${(index % 16).toString(16)}${String(index).padStart(7, '0')}-order`;

function lineItem(id: string, productId: string): LineItem {
  return {
    id,
    productId,
    name: { en: `Product ${productId}` },
    totalPrice: { type: 'centPrecision', currencyCode: 'EUR', centAmount: 1000, fractionDigits: 2 },
  } as unknown as LineItem;
}

function order(index: number, fields: Partial<Order> = {}): Order {
  const id = orderId(index);
  return {
    id,
    createdAt: '2024-01-01T00:00:00.000Z',
    customerEmail: `buyer${index}@example.com`,
    orderState: 'Open',
    totalPrice: { type: 'centPrecision', currencyCode: 'EUR', centAmount: 2000, fractionDigits: 2 },
    lineItems: [lineItem(`${id}-li-1`, 'p-1'), lineItem(`${id}-li-2`, `p-${(index % 3) + 2}`)],
    customLineItems: [],
    ...fields,
  } as unknown as Order;
}

const product = (id: string, categoryIds: string[]) =>
  ({
    id,
    masterData: { current: { categories: categoryIds.map((categoryId) => ({ typeId: 'category', id: categoryId })) } },
  }) as unknown as Product;
const category = (id: string, name: string, ancestorIds: string[] = []) =>
  ({
    id,
    name: { en: name },
    ancestors: ancestorIds.map((ancestorId) => ({ typeId: 'category', id: ancestorId })),
  }) as unknown as Category;

function matches(id: string, clause: string): boolean {
  const list = /^id in \((.*)\)$/.exec(clause);
  if (list) return (JSON.parse(`[${list[1]}]`) as string[]).includes(id);
  const [, operator, value] = /^id (>=|>|<) (".*")$/.exec(clause) ?? [];
  const bound = JSON.parse(value) as string;
  if (operator === '>=') return id >= bound;
  return operator === '>' ? id > bound : id < bound;
}

function fakeCommercetools(data: { orders: Order[]; products: Product[]; categories: Category[] }) {
  const queries: Array<{ resource: string; where: string[]; expand?: string[] }> = [];
  const resource = (name: string, records: Array<{ id: string }>) => () => ({
    get: ({ queryArgs }: { queryArgs: PageQuery }) => ({
      execute: async () => {
        queries.push({ resource: name, where: queryArgs.where, expand: queryArgs.expand });
        const results = records
          .filter((record) => queryArgs.where.every((clause) => matches(record.id, clause)))
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, queryArgs.limit);
        return { body: { results } };
      },
    }),
  });
  const client = {
    api: {
      orders: resource('orders', data.orders),
      products: resource('products', data.products),
      categories: resource('categories', data.categories),
    },
    call: (_operation: string, request: () => Promise<{ body: unknown }>) =>
      request().then((response) => response.body),
    // The real paging method, over the fake resources above.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called on this fake, which stands in for the client
    queryPage: CommercetoolsClient.prototype.queryPage,
  };
  return { client: client as unknown as CommercetoolsClient, queries };
}

interface SentEvent {
  email: string | null | undefined;
  metric: string;
  uniqueId: string;
  properties: Record<string, unknown>;
}

/** A bulk event request as it goes on the wire (snake_case JSON:API), as far as these tests read it. */
interface WireEventsBody {
  data: {
    attributes: {
      'events-bulk-create': {
        data: Array<{
          attributes: {
            profile: { data: { attributes: { email?: string } } };
            events: {
              data: Array<{
                attributes: {
                  metric: { data: { attributes: { name: string } } };
                  unique_id?: string;
                  properties: Record<string, unknown>;
                };
              }>;
            };
          };
        }>;
      };
    };
  };
}

type Refuse = (requestIndex: number, body: WireEventsBody) => PlatformError | undefined;

function fakeKlaviyo(refuse: Refuse = () => undefined) {
  const requests: SentEvent[][] = [];
  const client = {
    // The body as it would go on the wire; the SDK call beside it only carries a stand-in.
    callWithBody: async (_operation: string, wire: Buffer) => {
      const body = JSON.parse(wire.toString()) as WireEventsBody;
      const refusal = refuse(requests.length, body);
      const events: SentEvent[] = body.data.attributes['events-bulk-create'].data.flatMap((entry) =>
        entry.attributes.events.data.map((event) => ({
          email: entry.attributes.profile.data.attributes.email,
          metric: event.attributes.metric.data.attributes.name,
          uniqueId: event.attributes.unique_id ?? '',
          properties: event.attributes.properties,
        })),
      );
      requests.push(events);
      if (refusal) throw refusal;
    },
    call: (_operation: string, request: () => Promise<unknown>) => request(),
  };
  return { client: client as unknown as KlaviyoClient, requests };
}

function importRun(importer: OrdersImporter, request: EffectiveRequest): ImportRun {
  const ranges = importer.initialRanges(request);
  return {
    runId: 'run-1',
    type: 'orders',
    request,
    ranges,
    tracker: new CommitTracker(ranges, () => undefined),
    progress: new RunProgress(),
    signal: new AbortController().signal,
    logger: createLogger('silent'),
  };
}

const catalog = {
  products: [product('p-1', ['c-jeans']), product('p-2', ['c-shirts']), product('p-3', []), product('p-4', ['c-gone'])],
  categories: [
    category('c-women', 'Women'),
    category('c-pants', 'Pants', ['c-women']),
    category('c-jeans', 'Jeans', ['c-women', 'c-pants']),
    category('c-shirts', 'Shirts'),
  ],
};

function setup(orders: Order[], refuse?: Refuse) {
  const commercetools = fakeCommercetools({ orders, ...catalog });
  const klaviyo = fakeKlaviyo(refuse);
  const importer = new OrdersImporter({
    commercetools: commercetools.client,
    klaviyo: klaviyo.client,
    settings: defaultMappingSettings(),
    config: { preferredLocale: 'en' } as Config,
    now: () => new Date('2025-01-01T00:00:00Z'),
  });
  return { importer, commercetools, klaviyo };
}

const sentIds = (requests: SentEvent[][], metric: string) =>
  requests
    .flat()
    .filter((event) => event.metric === metric)
    .map((event) => event.uniqueId)
    .sort();

describe('OrdersImporter', () => {
  it('sends every event of every order once, skips orders without a buyer, fails only the order its mapper cannot map', async () => {
    const orders = Array.from({ length: 40 }, (_, index) => order(index));
    orders[5] = order(5, { customerEmail: undefined, customerId: undefined });
    orders[6] = order(6, { totalPrice: undefined });
    const { importer, klaviyo, commercetools } = setup(orders);
    const run = importRun(importer, { mode: 'all' });

    await importer.importRecords(run);

    const imported = orders
      .filter((_, index) => index !== 5 && index !== 6)
      .map((candidate) => candidate.id)
      .sort();
    expect(sentIds(klaviyo.requests, 'Placed Order')).toStrictEqual(imported);
    expect(sentIds(klaviyo.requests, 'Ordered Product')).toHaveLength(imported.length * 2);
    expect(run.progress.counters).toStrictEqual({ read: 40, sent: 38 * 3, succeeded: 38 * 3, failed: 1, skipped: 1 });
    expect(run.progress.recentSkips).toStrictEqual([
      { id: orders[5].id, reason: 'order has neither customerEmail nor customerId' },
    ]);
    expect(run.progress.recentFailures).toStrictEqual([
      { id: orders[6].id, reason: stringMatching(/^could not be mapped: /) },
    ]);
    // Every reader committed up to its last order: nothing is left unsettled.
    const lastIdPerRange = run.ranges.map((range) =>
      orders
        .map((candidate) => candidate.id)
        .filter(
          (id) =>
            (range.afterId === undefined || id > range.afterId) &&
            (range.beforeId === undefined || id < range.beforeId),
        )
        .sort()
        .at(-1),
    );
    expect(run.tracker.positions().map((range) => range.afterId)).toStrictEqual(lastIdPerRange);
    // Categories once per run; each product asked for once in the run, though every reader needs p-1.
    expect(commercetools.queries.filter((query) => query.resource === 'categories')).toHaveLength(1);
    const askedProductIds = commercetools.queries
      .filter((query) => query.resource === 'products')
      .flatMap((query) => JSON.parse(`[${/^id in \((.*)\)$/.exec(query.where[0])![1]}]`) as string[]);
    expect(askedProductIds.sort()).toStrictEqual(['p-1', 'p-2', 'p-3', 'p-4']);
  });

  it('gives Ordered Product and Placed Order the category paths of the products, a missing category leaving no path', async () => {
    const { importer, klaviyo } = setup([order(1), order(2)]);
    await importer.importRecords(importRun(importer, { mode: 'all' }));

    const placed = klaviyo.requests
      .flat()
      .find((event) => event.metric === 'Placed Order' && event.uniqueId === orderId(1))!;
    // order 1 has p-1 (Women > Pants > Jeans) and p-3 (no categories); order 2 has p-1 and p-4 (category gone).
    expect(placed.properties.Categories).toStrictEqual(['Women', 'Women > Pants', 'Women > Pants > Jeans']);
    expect(placed.properties.ItemNames).toStrictEqual(['Product p-1', 'Product p-3']);
    const products = klaviyo.requests
      .flat()
      .filter((event) => event.metric === 'Ordered Product' && event.uniqueId.startsWith(orderId(2)));
    expect(products.map((event) => event.properties.Categories)).toStrictEqual([
      ['Women', 'Women > Pants', 'Women > Pants > Jeans'],
      [],
    ]);
  });

  it('sends Refunded Order from the payments expanded in the order query itself, never a query per order', async () => {
    const refund = (centAmount: number, state: string, timestamp: string) => ({
      type: 'Refund',
      state,
      timestamp,
      amount: { type: 'centPrecision', currencyCode: 'EUR', centAmount, fractionDigits: 2 },
    });
    const payment = (id: string, ...transactions: unknown[]) => ({ typeId: 'payment', id, obj: { id, transactions } });
    const orders = Array.from({ length: 30 }, (_, index) => order(index));
    orders[4] = order(4, {
      paymentInfo: { payments: [payment('pay-4', refund(500, 'Success', '2024-02-01T00:00:00.000Z'))] },
    } as Partial<Order>);
    orders[9] = order(9, {
      paymentInfo: {
        payments: [
          payment('pay-9a', refund(250, 'Success', '2024-02-03T00:00:00.000Z')),
          payment(
            'pay-9b',
            refund(100, 'Success', '2024-02-02T00:00:00.000Z'),
            refund(900, 'Failure', '2024-02-04T00:00:00.000Z'),
          ),
        ],
      },
    } as Partial<Order>);
    orders[12] = order(12, {
      paymentInfo: { payments: [payment('pay-12', refund(2000, 'Pending', '2024-02-01T00:00:00.000Z'))] },
    } as Partial<Order>);

    for (const request of [
      { mode: 'all' },
      { mode: 'ids', ids: orders.map((candidate) => candidate.id) },
      { mode: 'startId', startId: orderId(0) },
    ] as EffectiveRequest[]) {
      const { importer, klaviyo, commercetools } = setup(orders);
      const run = importRun(importer, request);

      await importer.importRecords(run);

      const refunded = klaviyo.requests
        .flat()
        .filter((event) => event.metric === 'Refunded Order')
        .sort((a, b) => (a.uniqueId < b.uniqueId ? -1 : 1));
      expect(refunded.map((event) => [event.uniqueId, event.properties.paymentInfo])).toStrictEqual([
        [orderId(4), { payments: [{ typeId: 'payment', id: 'pay-4' }] }],
        [
          orderId(9),
          {
            payments: [
              { typeId: 'payment', id: 'pay-9a' },
              { typeId: 'payment', id: 'pay-9b' },
            ],
          },
        ],
      ]);
      expect(run.progress.counters).toMatchObject({ read: 30, failed: 0, sent: 30 * 3 + 2 });
      const orderQueries = commercetools.queries.filter((query) => query.resource === 'orders');
      expect(orderQueries.length).toBeLessThanOrEqual(run.ranges.length * 2);
      expect(
        orderQueries.every((query) => JSON.stringify(query.expand) === JSON.stringify(['paymentInfo.payments[*]'])),
      ).toBe(true);
      expect(commercetools.queries.filter((query) => query.resource === 'payments')).toStrictEqual([]);
    }
  });

  it('warns once per run when commercetools leaves payments unexpanded, and still sends every other event', async () => {
    const unexpanded = { paymentInfo: { payments: [{ typeId: 'payment', id: 'pay-hidden' }] } } as Partial<Order>;
    const orders = Array.from({ length: 40 }, (_, index) => order(index, index % 5 === 0 ? unexpanded : {}));
    const { importer, klaviyo } = setup(orders);
    const run = importRun(importer, { mode: 'all' });
    const warnings: unknown[][] = [];
    run.logger.warn = (...args: unknown[]) => warnings.push(args);

    await importer.importRecords(run);

    expect(warnings).toStrictEqual([[{ orderId: anyOf(String) }, stringContaining('view_payments')]]);
    expect(run.progress.counters).toMatchObject({ read: 40, failed: 0, sent: 40 * 3 });
    expect(sentIds(klaviyo.requests, 'Refunded Order')).toStrictEqual([]);
  });

  it("sends every event of an order whose product is gone from commercetools, with the line item's own name and variant", async () => {
    const gone: LineItem = {
      ...lineItem(`${orderId(7)}-li-gone`, 'p-deleted'),
      name: { en: 'Discontinued Parka' },
      variant: {
        id: 3,
        sku: 'SKU-GONE-3',
        images: [{ url: 'https://images.example.com/parka.jpg', dimensions: { w: 10, h: 10 } }],
        prices: [],
      },
    };
    const orders = Array.from({ length: 12 }, (_, index) => order(index));
    orders[7] = order(7, { orderState: 'Complete', lineItems: [gone, lineItem(`${orderId(7)}-li-1`, 'p-1')] });
    const { importer, klaviyo, commercetools } = setup(orders);
    const run = importRun(importer, { mode: 'all' });

    await importer.importRecords(run);

    expect(run.progress.counters).toMatchObject({ read: 12, failed: 0, skipped: 0, sent: 12 * 3 + 1 });
    const ofOrder7 = klaviyo.requests.flat().filter((event) => event.uniqueId.startsWith(orderId(7)));
    expect(ofOrder7.map((event) => `${event.metric} ${event.uniqueId}`).sort()).toStrictEqual(
      [
        `Placed Order ${orderId(7)}`,
        `Ordered Product ${orderId(7)}-li-gone`,
        `Ordered Product ${orderId(7)}-li-1`,
        `Fulfilled Order ${orderId(7)}`,
      ].sort(),
    );
    const placed = ofOrder7.find((event) => event.metric === 'Placed Order')!;
    // Categories from the product that remains; the gone one adds none but keeps its name.
    expect(placed.properties.Categories).toStrictEqual(['Women', 'Women > Pants', 'Women > Pants > Jeans']);
    expect(placed.properties.ItemNames).toStrictEqual(['Discontinued Parka', 'Product p-1']);
    const orderedGone = ofOrder7.find((event) => event.uniqueId === `${orderId(7)}-li-gone`)!;
    expect(orderedGone.properties).toMatchObject({
      productId: 'p-deleted',
      name: { en: 'Discontinued Parka' },
      variant: { sku: 'SKU-GONE-3', images: [{ url: 'https://images.example.com/parka.jpg' }] },
      Categories: [],
    });
    // The gone product was asked for like the others (once), and its absence failed nothing.
    const askedProductIds = commercetools.queries
      .filter((query) => query.resource === 'products')
      .flatMap((query) => JSON.parse(`[${/^id in \((.*)\)$/.exec(query.where[0])![1]}]`) as string[]);
    expect(askedProductIds.filter((id) => id === 'p-deleted')).toHaveLength(1);
  });

  it('splits the events into requests of at most 1,000', async () => {
    // 400 orders of 3 events each: 1,200 events.
    const { importer, klaviyo } = setup(Array.from({ length: 400 }, (_, index) => order(index)));
    const run = importRun(importer, { mode: 'ids', ids: Array.from({ length: 400 }, (_, index) => orderId(index)) });

    await importer.importRecords(run);

    expect(klaviyo.requests.every((request) => request.length <= 1_000)).toBe(true);
    expect(klaviyo.requests.flat()).toHaveLength(1_200);
    expect(run.progress.counters.sent).toBe(1_200);
  });

  /** Refuses any request holding one of the events, as Klaviyo does: 400, with a pointer to each (or none). */
  function refuseEvents(uniqueIds: Set<string>, withPointers: boolean): Refuse {
    return (_requestIndex, body) => {
      const pointers: string[] = [];
      body.data.attributes['events-bulk-create'].data.forEach((entry, entryIndex) =>
        entry.attributes.events.data.forEach((event, eventIndex) => {
          if (uniqueIds.has(event.attributes.unique_id ?? '')) {
            pointers.push(
              `/data/attributes/events-bulk-create/data/${entryIndex}/attributes/events/data/${eventIndex}/attributes/unique_id`,
            );
          }
        }),
      );
      if (pointers.length === 0) return undefined;
      const problems = withPointers
        ? pointers.map((pointer) => ({ code: 'invalid', detail: 'not valid', pointer }))
        : [{ code: 'invalid', detail: 'not valid' }];
      return new PlatformError('klaviyo', 'bulk_create_events', 400, 'invalid', undefined, problems);
    };
  }

  it('fails only the orders of the events Klaviyo refuses, each once with the reason, and sends every other event', async () => {
    // 400 orders of three events each: all three of one order are refused, and one of another's.
    const orders = Array.from({ length: 400 }, (_, index) => order(index));
    const refused = new Set([orderId(5), `${orderId(5)}-li-1`, `${orderId(5)}-li-2`, `${orderId(77)}-li-2`]);
    const { importer, klaviyo } = setup(orders, refuseEvents(refused, true));
    const run = importRun(importer, { mode: 'ids', ids: orders.map((candidate) => candidate.id) });

    await importer.importRecords(run);

    expect(run.progress.counters).toMatchObject({ failed: 2, sent: 1_196, succeeded: 1_196 });
    expect(run.progress.recentFailures.map((failure) => failure.id).sort()).toStrictEqual(
      [orderId(5), orderId(77)].sort(),
    );
    const failure77 = run.progress.recentFailures.find((failure) => failure.id === orderId(77))!;
    expect(failure77.reason).toMatch(
      /^Klaviyo refused the event: invalid not valid at \/data\/attributes\/events-bulk-create\/data\/\d+\/attributes\/events\/data\/\d+\/attributes\/unique_id$/,
    );
    // The refused request went once, its good events once more; every other event landed.
    expect(klaviyo.requests).toHaveLength(3);
    const landed = new Set(
      klaviyo.requests
        .slice(1)
        .flat()
        .map((event) => event.uniqueId),
    );
    expect(landed.size).toBe(1_196);
    for (const uniqueId of refused) expect(landed.has(uniqueId)).toBe(false);
    expect(landed.has(`${orderId(77)}-li-1`)).toBe(true);
    expect(run.tracker.positions()[0].afterId).toBe(
      orders
        .map((candidate) => candidate.id)
        .sort()
        .at(-1),
    );
  });

  it('finds a refused event by halving the request when Klaviyo names no event', async () => {
    const orders = Array.from({ length: 400 }, (_, index) => order(index));
    const { importer, klaviyo } = setup(orders, refuseEvents(new Set([`${orderId(123)}-li-1`]), false));
    const run = importRun(importer, { mode: 'ids', ids: orders.map((candidate) => candidate.id) });

    await importer.importRecords(run);

    expect(run.progress.counters).toMatchObject({ failed: 1, sent: 1_199 });
    expect(run.progress.recentFailures).toStrictEqual([
      { id: orderId(123), reason: 'Klaviyo refused the event: invalid not valid' },
    ]);
    // About two requests per halving of a request of 1,000, not one per event.
    expect(klaviyo.requests.length).toBeLessThan(25);
  });

  it.each([401, 403, 404])(
    'fails the run on a %i, which every request would get, and commits nothing past it',
    async (status) => {
      const orders = Array.from({ length: 10 }, (_, index) => order(index));
      const { importer } = setup(orders, () => new PlatformError('klaviyo', 'bulk_create_events', status, 'refused'));
      const run = importRun(importer, { mode: 'ids', ids: orders.map((candidate) => candidate.id) });

      await expect(importer.importRecords(run)).rejects.toThrow(`failed with ${status}`);
      expect(run.tracker.positions()[0].afterId).toBeUndefined();
      expect(run.progress.counters.failed).toBe(0);
    },
  );

  it('reads only the listed ids, counting those commercetools does not have as failed', async () => {
    const orders = Array.from({ length: 20 }, (_, index) => order(index));
    const { importer, klaviyo } = setup(orders);
    const wanted = [orderId(3), orderId(17), orderId(3), 'ffffffff-missing'];
    const run = importRun(importer, { mode: 'ids', ids: wanted });

    await importer.importRecords(run);

    expect(sentIds(klaviyo.requests, 'Placed Order')).toStrictEqual([orderId(17), orderId(3)].sort());
    expect(run.progress.recentFailures).toStrictEqual([
      { id: 'ffffffff-missing', reason: 'not found in commercetools' },
    ]);
  });

  it('imports from startId on in id order, that id included, with no reader for the ids before it', async () => {
    const orders = Array.from({ length: 64 }, (_, index) => order(index));
    const { importer, klaviyo } = setup(orders);
    const startId = orders.map((candidate) => candidate.id).sort()[40];
    const run = importRun(importer, { mode: 'startId', startId });

    await importer.importRecords(run);

    const expected = orders
      .map((candidate) => candidate.id)
      .filter((id) => id >= startId)
      .sort();
    expect(sentIds(klaviyo.requests, 'Placed Order')).toStrictEqual(expected);
    expect(run.ranges.every((range) => range.beforeId === undefined || range.beforeId > startId)).toBe(true);
    expect(run.ranges.length).toBeLessThan(importer.initialRanges({ mode: 'all' }).length);
  });

  it('refuses deleteAll, which has no meaning for events', () => {
    const { importer } = setup([]);
    expect(() => importer.initialRanges({ mode: 'deleteAll' })).toThrow('Orders cannot be deleted');
  });
});
