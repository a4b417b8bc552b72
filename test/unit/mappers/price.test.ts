import type { Price, TypedMoney } from '@commercetools/platform-sdk';
import { choosePrice, priceAmount } from '../../../src/mappers/price';

const NOW = new Date('2026-06-15T12:00:00.000Z');

function price(id: string, currencyCode: string, extra: Partial<Price> = {}): Price {
  return { id, value: { type: 'centPrecision', currencyCode, centAmount: 1000, fractionDigits: 2 }, ...extra };
}

const customerGroup = { typeId: 'customer-group', id: 'vip' } as const;

describe('choosePrice', () => {
  it.each<[string, Price[] | undefined, string | undefined, string | undefined]>([
    ['no price list', undefined, undefined, undefined],
    ['an empty price list', [], undefined, undefined],
    ['without preferred currency, the first price', [price('eur', 'EUR'), price('usd', 'USD')], undefined, 'eur'],
    [
      'the first price in the preferred currency',
      [price('eur', 'EUR'), price('usd-1', 'USD'), price('usd-2', 'USD')],
      'USD',
      'usd-1',
    ],
    ['no price in the preferred currency', [price('eur', 'EUR')], 'USD', undefined],
    [
      'a customer-group price is skipped',
      [price('vip', 'EUR', { customerGroup }), price('eur', 'EUR')],
      undefined,
      'eur',
    ],
    ['only customer-group prices', [price('vip', 'EUR', { customerGroup })], undefined, undefined],
    [
      'a current ranged customer-group price is skipped too',
      [price('vip-sale', 'EUR', { customerGroup, validFrom: '2026-06-01T00:00:00.000Z' }), price('eur', 'EUR')],
      undefined,
      'eur',
    ],
    [
      'a current ranged price beats a regular price listed before it',
      [
        price('regular', 'EUR'),
        price('sale', 'EUR', { validFrom: '2026-06-01T00:00:00.000Z', validUntil: '2026-07-01T00:00:00.000Z' }),
      ],
      undefined,
      'sale',
    ],
    [
      'an ended range is ignored',
      [price('ended', 'EUR', { validUntil: '2026-06-15T11:59:59.999Z' }), price('regular', 'EUR')],
      undefined,
      'regular',
    ],
    [
      'a range starting later is ignored',
      [price('future', 'EUR', { validFrom: '2026-06-15T12:00:00.001Z' }), price('regular', 'EUR')],
      undefined,
      'regular',
    ],
    [
      'only ended and future ranges',
      [
        price('ended', 'EUR', { validUntil: '2026-01-01T00:00:00.000Z' }),
        price('future', 'EUR', { validFrom: '2027-01-01T00:00:00.000Z' }),
      ],
      undefined,
      undefined,
    ],
    [
      'a range starting right now counts',
      [price('regular', 'EUR'), price('starts', 'EUR', { validFrom: '2026-06-15T12:00:00.000Z' })],
      undefined,
      'starts',
    ],
    [
      'a range ending right now counts',
      [price('regular', 'EUR'), price('ends', 'EUR', { validUntil: '2026-06-15T12:00:00.000Z' })],
      undefined,
      'ends',
    ],
    [
      'among current ranges, the earliest start wins',
      [
        price('may', 'EUR', { validFrom: '2026-05-01T00:00:00.000Z' }),
        price('april', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z' }),
      ],
      undefined,
      'april',
    ],
    [
      'with the same start, the earliest end wins',
      [
        price('august', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z', validUntil: '2026-08-01T00:00:00.000Z' }),
        price('july', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z', validUntil: '2026-07-01T00:00:00.000Z' }),
      ],
      undefined,
      'july',
    ],
    [
      'an open start has started before any dated start',
      [
        price('april', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z' }),
        price('open-start', 'EUR', { validUntil: '2026-09-01T00:00:00.000Z' }),
      ],
      undefined,
      'open-start',
    ],
    [
      'an open end ends after any dated end',
      [
        price('open-end', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z' }),
        price('july', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z', validUntil: '2026-07-01T00:00:00.000Z' }),
      ],
      undefined,
      'july',
    ],
    [
      'equal ranges keep their listed order',
      [
        price('first', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z' }),
        price('second', 'EUR', { validFrom: '2026-04-01T00:00:00.000Z' }),
      ],
      undefined,
      'first',
    ],
    [
      'the preferred currency also filters ranged prices',
      [price('eur-sale', 'EUR', { validFrom: '2026-06-01T00:00:00.000Z' }), price('usd', 'USD')],
      'USD',
      'usd',
    ],
  ])('%s', (_case, prices, preferredCurrency, expectedId) => {
    expect(choosePrice(prices, { preferredCurrency, now: NOW })?.id).toBe(expectedId);
  });
});

describe('priceAmount', () => {
  const withValue = (value: TypedMoney): Price => ({ id: 'p', value });

  it.each<[string, Price | undefined, { amount: number; currency: string | undefined }]>([
    ['no price is 0 without currency', undefined, { amount: 0, currency: undefined }],
    [
      'cents with two fraction digits',
      withValue({ type: 'centPrecision', currencyCode: 'EUR', centAmount: 1999, fractionDigits: 2 }),
      { amount: 19.99, currency: 'EUR' },
    ],
    [
      'a currency without minor unit',
      withValue({ type: 'centPrecision', currencyCode: 'JPY', centAmount: 500, fractionDigits: 0 }),
      { amount: 500, currency: 'JPY' },
    ],
    [
      'a currency with three fraction digits',
      withValue({ type: 'centPrecision', currencyCode: 'KWD', centAmount: 12345, fractionDigits: 3 }),
      { amount: 12.345, currency: 'KWD' },
    ],
    [
      'high precision keeps its precision (not the rounded cents)',
      withValue({
        type: 'highPrecision',
        currencyCode: 'EUR',
        centAmount: 1235,
        preciseAmount: 123456,
        fractionDigits: 4,
      }),
      { amount: 12.3456, currency: 'EUR' },
    ],
    [
      'a free price',
      withValue({ type: 'centPrecision', currencyCode: 'EUR', centAmount: 0, fractionDigits: 2 }),
      { amount: 0, currency: 'EUR' },
    ],
  ])('%s', (_case, chosen, expected) => {
    expect(priceAmount(chosen)).toStrictEqual(expected);
  });
});
