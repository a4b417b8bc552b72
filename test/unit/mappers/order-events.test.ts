import type {
  CentPrecisionMoney,
  CustomLineItem,
  LineItem,
  LocalizedString,
  Order,
  Payment,
  PaymentReference,
  Transaction,
  TypedMoney,
} from '@commercetools/platform-sdk';
import { defaultMappingSettings, type MappingSettings } from '../../../src/config/mapping-settings';
import type { CategoryLike } from '../../../src/mappers/category-paths';
import type { ProductLike } from '../../../src/clients/commercetools/product-categories';
import type { OrderEvent } from '../../../src/clients/klaviyo/events';
import { orderEvents, type OrderEventsContext } from '../../../src/mappers/order-events';

const eur = (centAmount: number): CentPrecisionMoney => ({
  type: 'centPrecision',
  currencyCode: 'EUR',
  centAmount,
  fractionDigits: 2,
});

// Only the fields the mapper reads or passes through; the rest of a real order changes nothing.
function order(fields: Partial<Order>): Order {
  return {
    id: 'o-1',
    version: 1,
    createdAt: '2024-03-01T10:00:00.000Z',
    lastModifiedAt: '2024-03-02T08:00:00.000Z',
    orderNumber: 'A-1001',
    customerEmail: 'ada@example.com',
    customerId: 'c-1',
    orderState: 'Open',
    totalPrice: eur(5997),
    lineItems: [],
    customLineItems: [],
    ...fields,
  } as Order;
}

function lineItem(id: string, productId: string, name: LocalizedString, totalPrice: CentPrecisionMoney): LineItem {
  return { id, productId, name, quantity: 1, totalPrice } as LineItem;
}

function customLineItem(id: string, name: LocalizedString, totalPrice: CentPrecisionMoney): CustomLineItem {
  return { id, name, quantity: 1, totalPrice } as CustomLineItem;
}

function category(id: string, name: LocalizedString, ancestorIds: string[] = []): [string, CategoryLike] {
  return [id, { name, ancestors: ancestorIds.map((ancestorId) => ({ typeId: 'category', id: ancestorId })) }];
}

const categories = new Map<string, CategoryLike>([
  category('women', { en: 'Women', de: 'Damen' }),
  category('pants', { en: 'Pants', de: 'Hosen' }, ['women']),
  category('jeans', { en: 'Jeans' }, ['women', 'pants']),
  category('sale', { en: 'Sale' }, ['women']),
  category('men', { en: 'Men', de: 'Herren' }),
  category('orphan', { en: 'Orphan' }, ['deleted-parent']),
]);

const productOf = (...categoryIds: string[]): ProductLike => ({
  masterData: { current: { categories: categoryIds.map((id) => ({ typeId: 'category', id })) } },
});

const products = new Map<string, ProductLike>([
  ['p-jeans', productOf('jeans', 'sale')],
  ['p-men', productOf('jeans', 'men')],
  ['p-orphan', productOf('orphan', 'deleted-category', 'men')],
]);

function context(overrides: Partial<OrderEventsContext> = {}): OrderEventsContext {
  return {
    settings: defaultMappingSettings(),
    productById: (id) => products.get(id),
    categoryById: (id) => categories.get(id),
    ...overrides,
  };
}

const jeansLine = lineItem('li-1', 'p-jeans', { en: 'Slim Jeans', de: 'Schmale Jeans' }, eur(3998));
const menLine = lineItem('li-2', 'p-men', { en: 'Chinos' }, eur(1499));
const giftWrap = customLineItem('cli-1', { en: 'Gift wrap', de: 'Geschenkverpackung' }, eur(500));

const at = (iso: string) => new Date(iso);

describe('orderEvents', () => {
  it('maps a fulfilled order with line items and a custom line item to all its events', () => {
    const fulfilled = order({
      orderState: 'Complete',
      lineItems: [jeansLine, menLine],
      customLineItems: [giftWrap],
      custom: { type: { typeId: 'type', id: 't-1' }, fields: { giftMessage: 'Happy birthday', isGift: true } },
    });
    const orderProperties = {
      id: 'o-1',
      version: 1,
      createdAt: '2024-03-01T10:00:00.000Z',
      lastModifiedAt: '2024-03-02T08:00:00.000Z',
      orderNumber: 'A-1001',
      customerEmail: 'ada@example.com',
      customerId: 'c-1',
      orderState: 'Complete',
      totalPrice: { type: 'centPrecision', currencyCode: 'EUR', centAmount: 5997, fractionDigits: 2 },
      lineItems: [jeansLine, menLine],
      customLineItems: [giftWrap],
      giftMessage: 'Happy birthday',
      isGift: true,
      ItemNames: ['Slim Jeans', 'Chinos', 'Gift wrap'],
      Categories: ['Women', 'Women > Pants', 'Women > Pants > Jeans', 'Women > Sale', 'Men'],
    };

    expect(orderEvents(fulfilled, context())).toStrictEqual({
      kind: 'events',
      profile: { email: 'ada@example.com', externalId: 'c-1' },
      events: [
        {
          metricName: 'Placed Order',
          time: at('2024-03-01T10:00:00.000Z'),
          value: 59.97,
          valueCurrency: 'EUR',
          uniqueId: 'o-1',
          properties: orderProperties,
        },
        {
          metricName: 'Ordered Product',
          time: at('2024-03-01T10:00:01.000Z'),
          value: 39.98,
          valueCurrency: 'EUR',
          uniqueId: 'li-1',
          properties: {
            id: 'li-1',
            productId: 'p-jeans',
            name: { en: 'Slim Jeans', de: 'Schmale Jeans' },
            quantity: 1,
            totalPrice: { type: 'centPrecision', currencyCode: 'EUR', centAmount: 3998, fractionDigits: 2 },
            Categories: ['Women', 'Women > Pants', 'Women > Pants > Jeans', 'Women > Sale'],
          },
        },
        {
          metricName: 'Ordered Product',
          time: at('2024-03-01T10:00:02.000Z'),
          value: 14.99,
          valueCurrency: 'EUR',
          uniqueId: 'li-2',
          properties: {
            id: 'li-2',
            productId: 'p-men',
            name: { en: 'Chinos' },
            quantity: 1,
            totalPrice: { type: 'centPrecision', currencyCode: 'EUR', centAmount: 1499, fractionDigits: 2 },
            Categories: ['Women', 'Women > Pants', 'Women > Pants > Jeans', 'Men'],
          },
        },
        {
          metricName: 'Fulfilled Order',
          time: at('2024-03-01T10:00:03.000Z'),
          value: 59.97,
          valueCurrency: 'EUR',
          uniqueId: 'o-1',
          properties: orderProperties,
        },
      ],
    });
  });

  it('names items and categories in the preferred locale, falling back per name', () => {
    const result = orderEvents(
      order({ lineItems: [jeansLine, menLine], customLineItems: [giftWrap] }),
      context({ preferredLocale: 'de-DE' }),
    );
    expect(result.kind === 'events' && result.events[0].properties).toMatchObject({
      ItemNames: ['Schmale Jeans', 'Chinos', 'Geschenkverpackung'],
      Categories: ['Damen', 'Damen > Hosen', 'Damen > Hosen > Jeans', 'Damen > Sale', 'Herren'],
    });
  });

  it('lists each item name once', () => {
    const repeated = order({
      lineItems: [
        lineItem('li-1', 'p-jeans', { en: 'Slim Jeans' }, eur(3998)),
        lineItem('li-2', 'p-jeans', { en: 'Slim Jeans' }, eur(3998)),
        lineItem('li-3', 'p-men', { en: 'Chinos' }, eur(1499)),
      ],
      customLineItems: [customLineItem('cli-1', { en: 'Chinos' }, eur(0)), customLineItem('cli-2', {}, eur(0))],
    });
    const result = orderEvents(repeated, context());
    expect(result.kind === 'events' && result.events[0].properties.ItemNames).toStrictEqual(['Slim Jeans', 'Chinos']);
  });

  it.each<[string, string[], string[]]>([
    ['a product missing from the lookup', ['p-deleted'], []],
    [
      'a missing product beside a known one',
      ['p-deleted', 'p-men'],
      ['Women', 'Women > Pants', 'Women > Pants > Jeans', 'Men'],
    ],
    ['categories or ancestors missing from the cache', ['p-orphan'], ['Men']],
  ])('skips the categories it cannot name: %s', (_case, productIds, expected) => {
    const lines = productIds.map((productId, index) => lineItem(`li-${index}`, productId, { en: productId }, eur(100)));
    const result = orderEvents(order({ lineItems: lines }), context());
    expect(result.kind === 'events' && result.events[0].properties.Categories).toStrictEqual(expected);
  });

  it('maps every event of an order whose product is gone, the line item giving its own name and variant', () => {
    const variant = {
      id: 2,
      sku: 'SKU-GONE-2',
      images: [{ url: 'https://images.example.com/gone.jpg', dimensions: { w: 10, h: 10 } }],
      prices: [],
      attributes: [],
    };
    const gone = { ...lineItem('li-gone', 'p-deleted', { en: 'Gone' }, eur(100)), variant } as LineItem;
    const result = orderEvents(order({ orderState: 'Complete', lineItems: [gone, jeansLine] }), context());
    if (result.kind !== 'events') throw new Error('expected events');
    expect(result.events.map((event) => `${event.metricName} ${event.uniqueId}`)).toStrictEqual([
      'Placed Order o-1',
      'Ordered Product li-gone',
      'Ordered Product li-1',
      'Fulfilled Order o-1',
    ]);
    expect(result.events[1].properties).toStrictEqual({ ...gone, Categories: [] });
    expect(result.events[1].properties).toMatchObject({
      name: { en: 'Gone' },
      variant: { sku: 'SKU-GONE-2', images: variant.images },
    });
    // Placed Order's categories come from the products that remain.
    expect(result.events[0].properties).toMatchObject({
      ItemNames: ['Gone', 'Slim Jeans'],
      Categories: ['Women', 'Women > Pants', 'Women > Pants > Jeans', 'Women > Sale'],
    });
  });

  const timeline = (result: ReturnType<typeof orderEvents>) =>
    result.kind === 'events'
      ? result.events.map((event: OrderEvent) => `${event.metricName} ${event.time.toISOString()} ${event.uniqueId}`)
      : result;

  it.each<[string, number, string, Partial<MappingSettings>, string[]]>([
    ['an open order without lines', 0, 'Open', {}, ['Placed Order 2024-03-01T10:00:00.000Z o-1']],
    [
      'a confirmed order without lines',
      0,
      'Confirmed',
      {},
      ['Placed Order 2024-03-01T10:00:00.000Z o-1', 'Fulfilled Order 2024-03-01T10:00:01.000Z o-1'],
    ],
    [
      'an open order with two lines',
      2,
      'Open',
      {},
      [
        'Placed Order 2024-03-01T10:00:00.000Z o-1',
        'Ordered Product 2024-03-01T10:00:01.000Z li-0',
        'Ordered Product 2024-03-01T10:00:02.000Z li-1',
      ],
    ],
    [
      'a cancelled order with two lines',
      2,
      'Cancelled',
      {},
      [
        'Placed Order 2024-03-01T10:00:00.000Z o-1',
        'Ordered Product 2024-03-01T10:00:01.000Z li-0',
        'Ordered Product 2024-03-01T10:00:02.000Z li-1',
        'Cancelled Order 2024-03-01T10:00:03.000Z o-1',
      ],
    ],
    [
      'a complete order with one line',
      1,
      'Complete',
      {},
      [
        'Placed Order 2024-03-01T10:00:00.000Z o-1',
        'Ordered Product 2024-03-01T10:00:01.000Z li-0',
        'Fulfilled Order 2024-03-01T10:00:02.000Z o-1',
      ],
    ],
    [
      'a state listed as both fulfilled and cancelled, with renamed metrics',
      1,
      'Complete',
      {
        orderStates: { fulfilled: ['Complete'], cancelled: ['Complete'] },
        metrics: {
          placedOrder: 'CT Placed',
          orderedProduct: 'CT Product',
          fulfilledOrder: 'CT Fulfilled',
          cancelledOrder: 'CT Cancelled',
          refundedOrder: 'CT Refunded',
        },
      },
      [
        'CT Placed 2024-03-01T10:00:00.000Z o-1',
        'CT Product 2024-03-01T10:00:01.000Z li-0',
        'CT Fulfilled 2024-03-01T10:00:02.000Z o-1',
        'CT Cancelled 2024-03-01T10:00:03.000Z o-1',
      ],
    ],
    [
      'a complete order when only Shipped counts as fulfilled',
      0,
      'Complete',
      { orderStates: { fulfilled: ['Shipped'], cancelled: ['Cancelled'] } },
      ['Placed Order 2024-03-01T10:00:00.000Z o-1'],
    ],
  ])('spaces the events one second apart: %s', (_case, lineCount, orderState, settings, expected) => {
    const lines = Array.from({ length: lineCount }, (_, index) =>
      lineItem(`li-${index}`, 'p-men', { en: 'Chinos' }, eur(100)),
    );
    const result = orderEvents(
      order({ orderState, lineItems: lines }),
      context({ settings: { ...defaultMappingSettings(), ...settings } }),
    );
    expect(timeline(result)).toStrictEqual(expected);
  });

  it.each<[string, Partial<Order>, unknown]>([
    ['a customer order', {}, { kind: 'profile', profile: { email: 'ada@example.com', externalId: 'c-1' } }],
    [
      'an anonymous (guest) order',
      { customerId: undefined },
      { kind: 'profile', profile: { email: 'ada@example.com' } },
    ],
    [
      'an order with a customer but no email',
      { customerEmail: undefined },
      { kind: 'profile', profile: { externalId: 'c-1' } },
    ],
    [
      'an order with neither',
      { customerEmail: undefined, customerId: undefined },
      { kind: 'skipped', reason: 'order has neither customerEmail nor customerId' },
    ],
    [
      'an order with an empty email and no customer',
      { customerEmail: '', customerId: undefined },
      { kind: 'skipped', reason: 'order has neither customerEmail nor customerId' },
    ],
  ])('attributes %s', (_case, fields, expected) => {
    const result = orderEvents(order(fields), context());
    expect(result.kind === 'events' ? { kind: 'profile', profile: result.profile } : result).toStrictEqual(expected);
  });

  it.each<[string, CentPrecisionMoney, number]>([
    ['two fraction digits', { type: 'centPrecision', currencyCode: 'EUR', centAmount: 1999, fractionDigits: 2 }, 19.99],
    ['no fraction digits', { type: 'centPrecision', currencyCode: 'JPY', centAmount: 1999, fractionDigits: 0 }, 1999],
    [
      'three fraction digits',
      { type: 'centPrecision', currencyCode: 'KWD', centAmount: 12345, fractionDigits: 3 },
      12.345,
    ],
    [
      'four fraction digits',
      { type: 'centPrecision', currencyCode: 'CLF', centAmount: 1234567, fractionDigits: 4 },
      123.4567,
    ],
    [
      'a large amount',
      { type: 'centPrecision', currencyCode: 'EUR', centAmount: 123456789012, fractionDigits: 2 },
      1234567890.12,
    ],
  ])('values the order and its lines with %s', (_case, money, expected) => {
    const result = orderEvents(
      order({ totalPrice: money, lineItems: [lineItem('li-1', 'p-men', { en: 'Chinos' }, money)] }),
      context(),
    );
    expect(result.kind === 'events' && result.events.map((event) => [event.value, event.valueCurrency])).toStrictEqual([
      [expected, money.currencyCode],
      [expected, money.currencyCode],
    ]);
  });

  it.each<[string, Partial<MappingSettings>, Record<string, unknown>]>([
    [
      'only included order fields, custom fields still at the root',
      { orderFields: { include: ['orderNumber'], exclude: [], rename: {} } },
      { orderNumber: 'A-1001', giftMessage: 'Hi', internalNote: 'fragile', ItemNames: [], Categories: [] },
    ],
    [
      'order fields renamed and excluded',
      {
        orderFields: {
          include: [],
          exclude: ['id', 'version', 'createdAt', 'lastModifiedAt', 'totalPrice', 'lineItems', 'customLineItems'],
          rename: { orderNumber: 'OrderId' },
        },
      },
      {
        OrderId: 'A-1001',
        customerEmail: 'ada@example.com',
        customerId: 'c-1',
        orderState: 'Open',
        giftMessage: 'Hi',
        internalNote: 'fragile',
        ItemNames: [],
        Categories: [],
      },
    ],
    [
      'custom fields included, excluded and renamed',
      {
        orderFields: { include: ['orderNumber'], exclude: [], rename: {} },
        orderCustomFields: { include: [], exclude: ['internalNote'], rename: { giftMessage: 'Gift Message' } },
      },
      { orderNumber: 'A-1001', 'Gift Message': 'Hi', ItemNames: [], Categories: [] },
    ],
    [
      'custom itself never, even when every order field is kept',
      {
        orderFields: { include: ['orderNumber', 'custom'], exclude: [], rename: {} },
        orderCustomFields: { include: ['giftMessage'], exclude: [], rename: {} },
      },
      { orderNumber: 'A-1001', giftMessage: 'Hi', ItemNames: [], Categories: [] },
    ],
  ])('filters the order properties: %s', (_case, settings, expected) => {
    const withCustom = order({
      custom: { type: { typeId: 'type', id: 't-1' }, fields: { giftMessage: 'Hi', internalNote: 'fragile' } },
    });
    const result = orderEvents(withCustom, context({ settings: { ...defaultMappingSettings(), ...settings } }));
    expect(result.kind === 'events' && result.events[0].properties).toStrictEqual(expected);
  });
});

describe('orderEvents: Refunded Order', () => {
  const money = (currencyCode: string, centAmount: number, fractionDigits = 2): CentPrecisionMoney => ({
    type: 'centPrecision',
    currencyCode,
    centAmount,
    fractionDigits,
  });
  const transaction = (
    type: Transaction['type'],
    state: Transaction['state'],
    amount: TypedMoney,
    timestamp?: string,
  ): Transaction =>
    ({
      id: `t-${type}-${state}-${timestamp}`,
      type,
      state,
      amount,
      timestamp,
      interactionId: undefined,
    }) as Transaction;
  const charge = (amount: TypedMoney) => transaction('Charge', 'Success', amount, '2024-03-01T10:05:00.000Z');
  const payment = (id: string, ...transactions: Transaction[]): PaymentReference => ({
    typeId: 'payment',
    id,
    obj: { id, transactions } as unknown as Payment,
  });
  const withPayments = (...payments: PaymentReference[]) => order({ paymentInfo: { payments } });
  const refundedEvent = (result: ReturnType<typeof orderEvents>) =>
    result.kind === 'events' ? result.events.filter((event) => event.metricName === 'Refunded Order') : result;

  it.each<[string, Order, Array<Pick<OrderEvent, 'value' | 'valueCurrency' | 'time'>>]>([
    ['an order without payments', order({}), []],
    ['payments that were only charged', withPayments(payment('pay-1', charge(eur(5997)))), []],
    [
      'refunds that are pending or failed',
      withPayments(
        payment(
          'pay-1',
          charge(eur(5997)),
          transaction('Refund', 'Pending', eur(1000), '2024-03-05T00:00:00.000Z'),
          transaction('Refund', 'Failure', eur(2000), '2024-03-06T00:00:00.000Z'),
        ),
      ),
      [],
    ],
    [
      'a payment reference commercetools did not expand',
      order({ paymentInfo: { payments: [{ typeId: 'payment', id: 'pay-1' }] } }),
      [],
    ],
    [
      'one partial refund',
      withPayments(
        payment('pay-1', charge(eur(5997)), transaction('Refund', 'Success', eur(1999), '2024-03-04T12:00:00.000Z')),
      ),
      [{ value: 19.99, valueCurrency: 'EUR', time: at('2024-03-04T12:00:00.000Z') }],
    ],
    [
      'several refunds over several payments, a failed one and a pending one among them, at the latest successful one',
      withPayments(
        payment('pay-1', transaction('Refund', 'Success', eur(20), '2024-03-05T00:00:00.000Z')),
        payment(
          'pay-2',
          charge(eur(3000)),
          transaction('Refund', 'Success', eur(1010), '2024-03-04T12:00:00.000Z'),
          transaction('Refund', 'Failure', eur(990), '2024-03-09T00:00:00.000Z'),
        ),
        payment(
          'pay-3',
          charge(eur(2997)),
          transaction('Refund', 'Success', eur(2997), '2024-03-07T08:30:00.000Z'),
          transaction('Refund', 'Pending', eur(1), '2024-03-10T00:00:00.000Z'),
        ),
      ),
      // Summed in cents: 0.20 + 10.10 + 29.97 in floating point is 40.269999999999996.
      [{ value: 40.27, valueCurrency: 'EUR', time: at('2024-03-07T08:30:00.000Z') }],
    ],
    [
      'a full refund in a currency without fraction digits',
      order({
        totalPrice: money('JPY', 4500, 0),
        paymentInfo: {
          payments: [
            payment(
              'pay-1',
              charge(money('JPY', 4500, 0)),
              transaction('Refund', 'Success', money('JPY', 4500, 0), '2024-03-04T00:00:00.000Z'),
            ),
          ],
        },
      }),
      [{ value: 4500, valueCurrency: 'JPY', time: at('2024-03-04T00:00:00.000Z') }],
    ],
    [
      'refunds in high precision and cents, summed at the finer precision',
      withPayments(
        payment(
          'pay-1',
          transaction(
            'Refund',
            'Success',
            { type: 'highPrecision', currencyCode: 'EUR', centAmount: 100, preciseAmount: 100125, fractionDigits: 5 },
            '2024-03-04T00:00:00.000Z',
          ),
          transaction('Refund', 'Success', eur(250), '2024-03-03T00:00:00.000Z'),
        ),
      ),
      [{ value: 3.50125, valueCurrency: 'EUR', time: at('2024-03-04T00:00:00.000Z') }],
    ],
    [
      'a refund in another currency than the order, which is left out of the sum',
      withPayments(
        payment(
          'pay-1',
          transaction('Refund', 'Success', eur(500), '2024-03-04T00:00:00.000Z'),
          transaction('Refund', 'Success', money('USD', 700), '2024-03-08T00:00:00.000Z'),
        ),
      ),
      [{ value: 5, valueCurrency: 'EUR', time: at('2024-03-04T00:00:00.000Z') }],
    ],
    [
      'only refunds in another currency than the order',
      withPayments(payment('pay-1', transaction('Refund', 'Success', money('USD', 700), '2024-03-08T00:00:00.000Z'))),
      [],
    ],
    [
      "a successful refund without a timestamp, at the order's last modification",
      withPayments(payment('pay-1', transaction('Refund', 'Success', eur(100)))),
      [{ value: 1, valueCurrency: 'EUR', time: at('2024-03-02T08:00:00.000Z') }],
    ],
  ])('%s', (_case, refundedOrder, expected) => {
    const events = refundedEvent(orderEvents(refundedOrder, context()));
    expect(
      Array.isArray(events) && events.map(({ value, valueCurrency, time }) => ({ value, valueCurrency, time })),
    ).toStrictEqual(expected);
  });

  it('comes last, under the order id, with the properties of Placed Order and the payments as references', () => {
    const refunded = order({
      orderState: 'Complete',
      lineItems: [jeansLine],
      paymentInfo: {
        payments: [
          payment('pay-1', charge(eur(5997)), transaction('Refund', 'Success', eur(5997), '2024-03-04T00:00:00.000Z')),
        ],
      },
    });
    const result = orderEvents(
      refunded,
      context({
        settings: {
          ...defaultMappingSettings(),
          metrics: { ...defaultMappingSettings().metrics, refundedOrder: 'CT Refunded' },
        },
      }),
    );
    if (result.kind !== 'events') throw new Error('expected events');
    expect(result.events.map((event) => event.metricName)).toStrictEqual([
      'Placed Order',
      'Ordered Product',
      'Fulfilled Order',
      'CT Refunded',
    ]);
    const [placed, , , refundedEvent] = result.events;
    expect(refundedEvent).toStrictEqual({ ...placed, metricName: 'CT Refunded', time: at('2024-03-04T00:00:00.000Z') });
    expect(placed.properties.paymentInfo).toStrictEqual({ payments: [{ typeId: 'payment', id: 'pay-1' }] });
    // The order itself keeps its expanded payments: the mapper changes nothing it is given.
    expect(refunded.paymentInfo!.payments[0].obj).toBeDefined();
  });
});
