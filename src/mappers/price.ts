import type { Price, TypedMoney } from '@commercetools/platform-sdk';

export interface PriceRules {
  /** When set, only prices in this currency count (PREFERRED_CURRENCY). */
  preferredCurrency?: string;
  /** The moment validity ranges are judged against. */
  now: Date;
}

export interface PriceAmount {
  /** In the currency's major unit (19.99, not 1999); 0 when there is no price. */
  amount: number;
  /** Undefined when there is no price. */
  currency: string | undefined;
}

const hasRange = (price: Price): boolean => price.validFrom !== undefined || price.validUntil !== undefined;

// An open start means the price has been valid all along; an open end means it never ends.
const startOf = (price: Price): number => (price.validFrom ? Date.parse(price.validFrom) : -Infinity);
const endOf = (price: Price): number => (price.validUntil ? Date.parse(price.validUntil) : Infinity);
const ascending = (x: number, y: number): number => (x < y ? -1 : x > y ? 1 : 0);

/**
 * Chooses the one price the original module's rules give, or undefined when none qualifies:
 * - with a preferred currency only prices in that currency count;
 * - prices for a customer group are not regular prices and never count;
 * - a price whose validity range covers `now` (both ends included) wins over a price without range;
 *   among those, the one that started earliest, then the one that ends earliest, then the first listed;
 * - a range that has ended or has not started yet rules its price out;
 * - otherwise the first price without range, in the order given.
 */
export function choosePrice(prices: readonly Price[] | undefined, rules: PriceRules): Price | undefined {
  const now = rules.now.getTime();
  const candidates = (prices ?? []).filter(
    (price) =>
      !price.customerGroup && (!rules.preferredCurrency || price.value.currencyCode === rules.preferredCurrency),
  );
  const current = candidates
    .filter((price) => hasRange(price) && startOf(price) <= now && now <= endOf(price))
    // Array.prototype.sort is stable, so equal ranges keep their listed order.
    .sort((a, b) => ascending(startOf(a), startOf(b)) || ascending(endOf(a), endOf(b)));
  return current[0] ?? candidates.find((price) => !hasRange(price));
}

/** The amount in the currency's major unit, high-precision prices keeping their precision. */
export function moneyAmount(money: TypedMoney): number {
  const minorUnits = money.type === 'highPrecision' ? money.preciseAmount : money.centAmount;
  return minorUnits / 10 ** money.fractionDigits;
}

/** Amount and currency of a chosen price; no price gives 0, as the original module sends. */
export function priceAmount(price: Price | undefined): PriceAmount {
  if (!price) return { amount: 0, currency: undefined };
  return { amount: moneyAmount(price.value), currency: price.value.currencyCode };
}
