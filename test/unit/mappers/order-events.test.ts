import type { CentPrecisionMoney, CustomLineItem, LineItem, LocalizedString, Order } from '@commercetools/platform-sdk';
import { defaultMappingSettings, type MappingSettings } from '../../../src/config/mapping-settings';
import type { CategoryLike } from '../../../src/mappers/category-paths';
import {
  orderEvents,
  type OrderEvent,
  type OrderEventsContext,
  type ProductLike,
} from '../../../src/mappers/order-events';

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
    ['a missing product beside a known one', ['p-deleted', 'p-men'], ['Women', 'Women > Pants', 'Women > Pants > Jeans', 'Men']],
    ['categories or ancestors missing from the cache', ['p-orphan'], ['Men']],
  ])('skips the categories it cannot name: %s', (_case, productIds, expected) => {
    const lines = productIds.map((productId, index) => lineItem(`li-${index}`, productId, { en: productId }, eur(100)));
    const result = orderEvents(order({ lineItems: lines }), context());
    expect(result.kind === 'events' && result.events[0].properties.Categories).toStrictEqual(expected);
  });

  it('gives a line whose product is missing no categories', () => {
    const result = orderEvents(order({ lineItems: [lineItem('li-1', 'p-deleted', { en: 'Gone' }, eur(100))] }), context());
    expect(result.kind === 'events' && result.events[1].properties.Categories).toStrictEqual([]);
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
    const lines = Array.from({ length: lineCount }, (_, index) => lineItem(`li-${index}`, 'p-men', { en: 'Chinos' }, eur(100)));
    const result = orderEvents(
      order({ orderState: orderState as Order['orderState'], lineItems: lines }),
      context({ settings: { ...defaultMappingSettings(), ...settings } }),
    );
    expect(timeline(result)).toStrictEqual(expected);
  });

  it.each<[string, Partial<Order>, unknown]>([
    ['a customer order', {}, { kind: 'profile', profile: { email: 'ada@example.com', externalId: 'c-1' } }],
    ['an anonymous (guest) order', { customerId: undefined }, { kind: 'profile', profile: { email: 'ada@example.com' } }],
    ['an order with a customer but no email', { customerEmail: undefined }, { kind: 'profile', profile: { externalId: 'c-1' } }],
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
    ['three fraction digits', { type: 'centPrecision', currencyCode: 'KWD', centAmount: 12345, fractionDigits: 3 }, 12.345],
    ['four fraction digits', { type: 'centPrecision', currencyCode: 'CLF', centAmount: 1234567, fractionDigits: 4 }, 123.4567],
    ['a large amount', { type: 'centPrecision', currencyCode: 'EUR', centAmount: 123456789012, fractionDigits: 2 }, 1234567890.12],
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
