/**
 * The sandbox generator's products through the catalog mapper: every item's and variant's
 * `price_json` and `currency_json` compared key by key with the original module's rule, written
 * out here on its own, straight from the country data's own lookup.
 */
import type { Price, ProductVariant } from '@commercetools/platform-sdk';
import { mapCatalogProduct } from '../../../src/mappers/catalog-product';
import { generateDataset } from '../../../sandbox/commercetools/generator';

const NOW = new Date('2026-06-15T12:00:00.000Z');

const countryData = // eslint-disable-next-line @typescript-eslint/no-require-imports -- as in the mapper: the import its declarations need does not resolve here
  require('country-data-list') as {
    lookup: { countries(query: { currencies: string }): Array<{ alpha2: string }> };
  };

/**
 * The one price a currency shows, as the original chooses it: a price whose validity range covers
 * now, the earliest started (then the earliest ending) first, else the first price without range
 * and without customer group. (The original also lets a ranged customer-group price win, which the
 * price rules here do not; the generator makes no such price.)
 */
function originalChosenPrice(prices: Price[], currencyCode: string): Price | undefined {
  const now = NOW.getTime();
  const inCurrency = prices.filter((price) => price.value.currencyCode === currencyCode && !price.customerGroup);
  const current = inCurrency
    .filter((price) => price.validFrom !== undefined || price.validUntil !== undefined)
    .filter((price) => (price.validFrom ? Date.parse(price.validFrom) : now) <= now)
    .filter((price) => (price.validUntil ? Date.parse(price.validUntil) : now) >= now)
    .sort(
      (a, b) =>
        Date.parse(a.validFrom ?? NOW.toISOString()) - Date.parse(b.validFrom ?? NOW.toISOString()) ||
        Date.parse(a.validUntil ?? '9999-12-31T00:00:00.000Z') - Date.parse(b.validUntil ?? '9999-12-31T00:00:00.000Z'),
    );
  return current[0] ?? inCurrency.find((price) => !price.validFrom && !price.validUntil);
}

/**
 * The original's two objects: for each currency in order of appearance, the chosen price (0 when
 * none) under `price_<currency>`, and under `price_<country>` / `currency_<country>` for the
 * chosen price's country if it has one, else for every country using the currency; a later
 * currency overwrites an earlier one's country keys, and an undefined currency leaves no key in JSON.
 * No price list at all: no keys.
 */
function originalPriceKeys(prices: Price[] | undefined): { prices: object; currencies: object } | undefined {
  if (!prices) return undefined;
  const priceKeys: Record<string, number> = {};
  const currencyKeys: Record<string, string | undefined> = {};
  for (const currencyCode of new Set(prices.map((price) => price.value.currencyCode))) {
    const chosen = originalChosenPrice(prices, currencyCode);
    const amount = chosen ? chosen.value.centAmount / 10 ** chosen.value.fractionDigits : 0;
    priceKeys[`price_${currencyCode}`] = amount;
    const countries = chosen?.country
      ? [chosen.country]
      : countryData.lookup.countries({ currencies: currencyCode }).map((country) => country.alpha2);
    for (const country of countries) {
      priceKeys[`price_${country}`] = amount;
      currencyKeys[`currency_${country}`] = chosen?.value.currencyCode;
    }
  }
  return { prices: priceKeys, currencies: JSON.parse(JSON.stringify(currencyKeys)) as object };
}

function parsedPriceKeys(
  customMetadata: object | null | undefined,
): { prices: object; currencies: object } | undefined {
  const { price_json, currency_json } = customMetadata as { price_json?: string; currency_json?: string };
  if (price_json === undefined || currency_json === undefined) return undefined;
  return { prices: JSON.parse(price_json) as object, currencies: JSON.parse(currency_json) as object };
}

describe('generated products: price and currency keys as the original module', () => {
  const dataset = generateDataset({
    seed: 'catalog-prices',
    now: NOW,
    categories: 20,
    products: 300,
    customers: 0,
    orders: 0,
  });
  const categories = new Map(dataset.categories.map((category) => [category.id, category]));
  const mapped = dataset.products.map((product) => ({
    product,
    mapping: mapCatalogProduct(product, { now: NOW, categoryById: (id) => categories.get(id) }),
  }));
  const variantsBySku = new Map(
    dataset.products
      .flatMap((product) => [product.masterData.current.masterVariant, ...product.masterData.current.variants])
      .map((variant): [string | undefined, ProductVariant] => [variant.sku, variant]),
  );

  it("items carry their master variant's keys", () => {
    for (const { product, mapping } of mapped) {
      expect(parsedPriceKeys(mapping.item.create.attributes.customMetadata)).toStrictEqual(
        originalPriceKeys(product.masterData.current.masterVariant.prices),
      );
    }
  });

  it('variants carry their own keys', () => {
    const variants = mapped.flatMap(({ mapping }) => mapping.variants);
    expect(variants.length).toBeGreaterThan(mapped.length);
    for (const variant of variants) {
      expect(parsedPriceKeys(variant.update.attributes.customMetadata)).toStrictEqual(
        originalPriceKeys(variantsBySku.get(variant.sku)!.prices),
      );
    }
  });

  it('the data covers every currency the generator uses, country prices, customer-group prices and ranges', () => {
    const prices = [...variantsBySku.values()].flatMap((variant) => variant.prices ?? []);
    const currencies = [...new Set(prices.map((price) => price.value.currencyCode))].sort();
    expect(currencies).toStrictEqual(['EUR', 'GBP', 'JPY', 'USD']);
    const keysSent = new Set(
      mapped.flatMap(({ mapping }) =>
        Object.keys(parsedPriceKeys(mapping.item.create.attributes.customMetadata)?.prices ?? {}),
      ),
    );
    for (const currency of currencies) expect(keysSent).toContain(`price_${currency}`);
    expect(prices.some((price) => price.country && !price.customerGroup)).toBe(true);
    expect(prices.some((price) => price.customerGroup)).toBe(true);
    expect(
      prices.some(
        (price) =>
          price.validFrom &&
          Date.parse(price.validFrom) <= NOW.getTime() &&
          Date.parse(price.validUntil!) >= NOW.getTime(),
      ),
    ).toBe(true);
    expect(prices.some((price) => price.validUntil && Date.parse(price.validUntil) < NOW.getTime())).toBe(true);
    expect(prices.some((price) => price.validFrom && Date.parse(price.validFrom) > NOW.getTime())).toBe(true);
  });
});
