import type { Price } from '@commercetools/platform-sdk';
import { countriesUsingCurrency } from './countries-by-currency';
import { choosePrice, priceAmount } from './price';

/** The catalog's `custom_metadata` price keys, each a JSON object as a string. */
export interface PriceMetadata {
  price_json: string;
  currency_json: string;
}

/**
 * Every currency's price keyed by currency and by country, as the original module records them
 * for templates that show shoppers the price of their country. For each currency of the prices,
 * in the order first listed, the price the price rules choose in that currency (0 when none
 * qualifies) goes to:
 * - `price_<currency>`;
 * - `price_<country>` and `currency_<country>` (the currency code) for the chosen price's own
 *   country when it has one, else for every country that uses the currency.
 * A country that uses several currencies (Zimbabwe uses five) keeps the last one's keys; where
 * that currency had no chosen price, the country has a price of 0 and no currency key.
 */
export function priceMetadata(prices: readonly Price[], now: Date): PriceMetadata {
  const priceByKey = new Map<string, number>();
  const currencyByKey = new Map<string, string>();
  for (const currency of new Set(prices.map((price) => price.value.currencyCode))) {
    const chosen = choosePrice(prices, { preferredCurrency: currency, now });
    const { amount } = priceAmount(chosen);
    priceByKey.set(`price_${currency}`, amount);
    for (const country of chosen?.country ? [chosen.country] : countriesUsingCurrency(currency)) {
      priceByKey.set(`price_${country}`, amount);
      if (chosen) currencyByKey.set(`currency_${country}`, currency);
      else currencyByKey.delete(`currency_${country}`);
    }
  }
  return {
    price_json: JSON.stringify(Object.fromEntries(priceByKey)),
    currency_json: JSON.stringify(Object.fromEntries(currencyByKey)),
  };
}
