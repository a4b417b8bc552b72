import type { LineItem, Order, Transaction, TypedMoney } from '@commercetools/platform-sdk';
import type { ProductLike } from '../clients/commercetools/product-categories';
import type { OrderEvent, OrderEventProfile } from '../clients/klaviyo/events';
import type { MappingSettings } from '../config/mapping-settings';
import { categoryPathNames, type CategoryLookup } from './category-paths';
import { applyFieldFilter } from './field-filter';
import { localizedText } from './localized-text';
import { moneyAmount } from './price';

export interface OrderEventsContext {
  settings: MappingSettings;
  preferredLocale?: string;
  productById: (id: string) => ProductLike | undefined;
  categoryById: CategoryLookup;
}

export type OrderEventsResult =
  { kind: 'events'; profile: OrderEventProfile; events: OrderEvent[] } | { kind: 'skipped'; reason: string };

/**
 * The Klaviyo events for one order, in the original module's bulk-import sequence: Placed Order at
 * createdAt, one Ordered Product per line item at createdAt + 1 s, + 2 s …, then Fulfilled Order
 * and Cancelled Order (when the order's state is listed for them), each one second after the event
 * before it. The spacing keeps Klaviyo's timeline in that order. Last, Refunded Order when the
 * order's payments (expanded in `paymentInfo.payments[*].obj`) hold successful refunds, at the time
 * of the latest one.
 */
export function orderEvents(order: Order, context: OrderEventsContext): OrderEventsResult {
  const profile = profileOf(order);
  if (!profile) return { kind: 'skipped', reason: 'order has neither customerEmail nor customerId' };

  const { metrics, orderStates } = context.settings;
  const placedAt = Date.parse(order.createdAt);
  const secondsAfterPlaced = (seconds: number) => new Date(placedAt + seconds * 1000);
  const properties = orderProperties(order, context);
  const orderEvent = (metricName: string, time: Date): OrderEvent => ({
    metricName,
    time,
    value: moneyAmount(order.totalPrice),
    valueCurrency: order.totalPrice.currencyCode,
    uniqueId: order.id,
    properties,
  });

  const events = [
    orderEvent(metrics.placedOrder, secondsAfterPlaced(0)),
    ...order.lineItems.map((lineItem, index) =>
      orderedProductEvent(lineItem, metrics.orderedProduct, secondsAfterPlaced(index + 1), context),
    ),
  ];
  let seconds = order.lineItems.length;
  if (orderStates.fulfilled.includes(order.orderState)) {
    events.push(orderEvent(metrics.fulfilledOrder, secondsAfterPlaced(++seconds)));
  }
  if (orderStates.cancelled.includes(order.orderState)) {
    events.push(orderEvent(metrics.cancelledOrder, secondsAfterPlaced(seconds + 1)));
  }
  const refunded = refundedOf(order);
  if (refunded) {
    events.push({ ...orderEvent(metrics.refundedOrder, refunded.time), value: refunded.value });
  }
  return { kind: 'events', profile, events };
}

/**
 * What the order's successful Refund transactions add up to, and when the latest happened (a
 * transaction without a timestamp counts as the order's last modification, the time the original's
 * real-time event used). Only refunds in the order's currency count: a sum across currencies means
 * nothing. Pending and failed refunds give back nothing, so they do not count either.
 */
function refundedOf(order: Order): { value: number; time: Date } | undefined {
  const currency = order.totalPrice.currencyCode;
  const refunds = (order.paymentInfo?.payments ?? [])
    .flatMap((payment) => payment.obj?.transactions ?? [])
    .filter(
      (transaction) =>
        transaction.type === 'Refund' &&
        transaction.state === 'Success' &&
        transaction.amount.currencyCode === currency,
    );
  if (refunds.length === 0) return undefined;
  const timeOf = (transaction: Transaction) => Date.parse(transaction.timestamp ?? order.lastModifiedAt);
  return {
    value: moneyAmount(moneySum(refunds.map((refund) => refund.amount))),
    time: new Date(Math.max(...refunds.map(timeOf))),
  };
}

/** The sum of amounts in one currency, in integer minor units of the finest precision among them, so no float error creeps in. */
function moneySum(amounts: TypedMoney[]): TypedMoney {
  const fractionDigits = Math.max(...amounts.map((money) => money.fractionDigits));
  const minorUnits = amounts.reduce(
    (sum, money) =>
      sum +
      (money.type === 'highPrecision' ? money.preciseAmount : money.centAmount) *
        10 ** (fractionDigits - money.fractionDigits),
    0,
  );
  return { type: 'centPrecision', currencyCode: amounts[0].currencyCode, centAmount: minorUnits, fractionDigits };
}

function profileOf(order: Order): OrderEventProfile | undefined {
  if (!order.customerEmail && !order.customerId) return undefined;
  const profile: OrderEventProfile = {};
  if (order.customerEmail) profile.email = order.customerEmail;
  if (order.customerId) profile.externalId = order.customerId;
  return profile;
}

/**
 * The order's own fields, then its custom fields at the root, then ItemNames and Categories.
 * `custom` itself is left out of the own fields: its fields are already at the root, through their
 * own filter, and an excluded custom field must not come back inside `custom`. Payments stay
 * references, as the order holds them: the expanded payments are read for Refunded Order only, and
 * would make every event larger.
 */
function orderProperties(order: Order, context: OrderEventsContext): Record<string, unknown> {
  const { custom, ...ownFields } = order;
  if (ownFields.paymentInfo) {
    ownFields.paymentInfo = {
      payments: ownFields.paymentInfo.payments.map(({ obj: _expanded, ...reference }) => reference),
    };
  }
  const { settings, preferredLocale } = context;
  const names = [...order.lineItems, ...(order.customLineItems ?? [])].map((item) =>
    localizedText(item.name, preferredLocale),
  );
  return {
    ...applyFieldFilter(ownFields, settings.orderFields),
    ...applyFieldFilter(custom?.fields, settings.orderCustomFields),
    ItemNames: distinct(names.filter((name): name is string => Boolean(name))),
    Categories: distinct(order.lineItems.flatMap((lineItem) => categoryPaths(lineItem.productId, context))),
  };
}

function orderedProductEvent(
  lineItem: LineItem,
  metricName: string,
  time: Date,
  context: OrderEventsContext,
): OrderEvent {
  return {
    metricName,
    time,
    value: moneyAmount(lineItem.totalPrice),
    valueCurrency: lineItem.totalPrice.currencyCode,
    uniqueId: lineItem.id,
    properties: { ...lineItem, Categories: categoryPaths(lineItem.productId, context) },
  };
}

/**
 * Every path from the root to each category of the product: "Women", "Women > Pants",
 * "Women > Pants > Jeans". A product missing from the lookup (deleted since the order) has none.
 */
function categoryPaths(productId: string, context: OrderEventsContext): string[] {
  const product = context.productById(productId);
  if (!product) return [];
  return distinct(
    product.masterData.current.categories.flatMap((category) => {
      const names = categoryPathNames(category.id, context.categoryById, context.preferredLocale) ?? [];
      return names.map((_, depth) => names.slice(0, depth + 1).join(' > '));
    }),
  );
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
