import type { Price } from '@commercetools/platform-sdk';
import { countriesUsingCurrency } from '../../../src/mappers/countries-by-currency';
import { priceMetadata } from '../../../src/mappers/price-metadata';

const NOW = new Date('2026-06-15T12:00:00.000Z');

const cents = (id: string, currencyCode: string, centAmount: number, extra: Partial<Price> = {}): Price => ({
  id,
  value: { type: 'centPrecision', currencyCode, centAmount, fractionDigits: currencyCode === 'JPY' ? 0 : 2 },
  ...extra,
});

const vip = { typeId: 'customer-group', id: 'vip' } as const;

/** Every country and territory the country data lists with the euro. */
const EURO_COUNTRIES = [
  'AD',
  'AT',
  'AX',
  'BE',
  'BL',
  'CP',
  'CY',
  'DE',
  'EE',
  'ES',
  'EU',
  'FI',
  'FR',
  'FX',
  'GF',
  'GP',
  'GR',
  'HR',
  'IC',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MC',
  'ME',
  'MF',
  'MQ',
  'MT',
  'NL',
  'PM',
  'PT',
  'RE',
  'SI',
  'SK',
  'SM',
  'TF',
  'VA',
  'XK',
  'YT',
  'ZW',
];
const US_DOLLAR_COUNTRIES = [
  'AC',
  'AS',
  'BQ',
  'DG',
  'EC',
  'FM',
  'GU',
  'HT',
  'IO',
  'MH',
  'MP',
  'PA',
  'PR',
  'PW',
  'SV',
  'TC',
  'TL',
  'UM',
  'US',
  'VG',
  'VI',
  'ZW',
];

/** `{ price_<country>: amount }` (or currency) for each of the countries. */
const keyed = <T>(prefix: string, countries: readonly string[], value: T): Record<string, T> =>
  Object.fromEntries(countries.map((country) => [`${prefix}_${country}`, value]));

const parsed = (prices: Price[]) => {
  const metadata = priceMetadata(prices, NOW);
  return {
    prices: JSON.parse(metadata.price_json) as unknown,
    currencies: JSON.parse(metadata.currency_json) as unknown,
  };
};

describe('countriesUsingCurrency', () => {
  it.each<[string, string, readonly string[]]>([
    ['the euro: every euro country and territory, reserved codes included', 'EUR', EURO_COUNTRIES],
    ['the yen: one country', 'JPY', ['JP']],
    ['the Swiss franc: two', 'CHF', ['CH', 'LI']],
    ['a code the data does not know: none', 'XTS', []],
  ])('%s', (_case, currencyCode, expected) => {
    expect(countriesUsingCurrency(currencyCode)).toStrictEqual(expected);
  });

  it('gives the same answer again for the same currency', () => {
    expect(countriesUsingCurrency('USD')).toStrictEqual(US_DOLLAR_COUNTRIES);
    expect(countriesUsingCurrency('USD')).toBe(countriesUsingCurrency('USD'));
  });
});

describe('priceMetadata', () => {
  it('no prices: empty objects', () => {
    expect(priceMetadata([], NOW)).toStrictEqual({ price_json: '{}', currency_json: '{}' });
  });

  it.each<[string, Price[], Record<string, number>, Record<string, string>]>([
    [
      'a currency used by many countries: the currency and each of its countries',
      [cents('eur', 'EUR', 4689)],
      { price_EUR: 46.89, ...keyed('price', EURO_COUNTRIES, 46.89) },
      keyed('currency', EURO_COUNTRIES, 'EUR'),
    ],
    [
      'a currency used by one country',
      [cents('jpy', 'JPY', 7500)],
      { price_JPY: 7500, price_JP: 7500 },
      { currency_JP: 'JPY' },
    ],
    [
      'a price with its own country: that country only, not the other countries of its currency',
      [cents('eur', 'EUR', 4689), cents('usd-us', 'USD', 8272, { country: 'US' })],
      { price_EUR: 46.89, ...keyed('price', EURO_COUNTRIES, 46.89), price_USD: 82.72, price_US: 82.72 },
      { ...keyed('currency', EURO_COUNTRIES, 'EUR'), currency_US: 'USD' },
    ],
    [
      'a customer-group price never decides: the regular price goes to every country, its own country included',
      [cents('eur-vip-de', 'EUR', 800, { country: 'DE', customerGroup: vip }), cents('eur', 'EUR', 1000)],
      { price_EUR: 10, ...keyed('price', EURO_COUNTRIES, 10) },
      keyed('currency', EURO_COUNTRIES, 'EUR'),
    ],
    [
      'a currency with customer-group prices only: 0 for it and its countries, and no currency keys',
      [cents('chf-vip', 'CHF', 900, { customerGroup: vip })],
      { price_CHF: 0, price_CH: 0, price_LI: 0 },
      {},
    ],
    [
      'prices valid only in a range that has ended or not begun never decide',
      [
        cents('chf-ended', 'CHF', 500, {
          validFrom: '2026-01-01T00:00:00.000Z',
          validUntil: '2026-06-01T00:00:00.000Z',
        }),
        cents('chf', 'CHF', 1100),
        cents('chf-future', 'CHF', 900, { validFrom: '2026-07-01T00:00:00.000Z' }),
      ],
      { price_CHF: 11, price_CH: 11, price_LI: 11 },
      { currency_CH: 'CHF', currency_LI: 'CHF' },
    ],
    [
      'a currency priced only in a range that is not current: 0 and no currency keys',
      [
        cents('chf-future', 'CHF', 900, {
          validFrom: '2026-07-01T00:00:00.000Z',
          validUntil: '2026-08-01T00:00:00.000Z',
        }),
      ],
      { price_CHF: 0, price_CH: 0, price_LI: 0 },
      {},
    ],
    [
      'a current range wins, and its own country narrows the keys to that country',
      [
        cents('chf', 'CHF', 1100),
        cents('chf-sale-li', 'CHF', 800, {
          country: 'LI',
          validFrom: '2026-06-01T00:00:00.000Z',
          validUntil: '2026-07-01T00:00:00.000Z',
        }),
      ],
      { price_CHF: 8, price_LI: 8 },
      { currency_LI: 'CHF' },
    ],
    [
      'a country using several currencies keeps the last listed currency',
      [cents('eur', 'EUR', 1000), cents('usd', 'USD', 1200)],
      {
        price_EUR: 10,
        ...keyed('price', EURO_COUNTRIES, 10),
        price_USD: 12,
        ...keyed('price', US_DOLLAR_COUNTRIES, 12),
      },
      { ...keyed('currency', EURO_COUNTRIES, 'EUR'), ...keyed('currency', US_DOLLAR_COUNTRIES, 'USD') },
    ],
    [
      'a later currency without chosen price sets that shared country to 0 and removes its currency key',
      [cents('eur', 'EUR', 1000), cents('usd-vip', 'USD', 1200, { customerGroup: vip })],
      { price_EUR: 10, ...keyed('price', EURO_COUNTRIES, 10), price_USD: 0, ...keyed('price', US_DOLLAR_COUNTRIES, 0) },
      keyed(
        'currency',
        EURO_COUNTRIES.filter((country) => country !== 'ZW'),
        'EUR',
      ),
    ],
    ['a currency the country data does not know: its own key only', [cents('xts', 'XTS', 100)], { price_XTS: 1 }, {}],
  ])('%s', (_case, prices, expectedPrices, expectedCurrencies) => {
    expect(parsed(prices)).toStrictEqual({ prices: expectedPrices, currencies: expectedCurrencies });
  });

  it('keeps a high-precision price in full', () => {
    const precise: Price = {
      id: 'gbp-precise',
      value: { type: 'highPrecision', currencyCode: 'GBP', centAmount: 1235, preciseAmount: 123456, fractionDigits: 4 },
      country: 'GB',
    };
    expect(parsed([precise])).toStrictEqual({
      prices: { price_GBP: 12.3456, price_GB: 12.3456 },
      currencies: { currency_GB: 'GBP' },
    });
  });
});
