import type {
  Price,
  Product,
  ProductData,
  ProductVariant,
  ProductVariantAvailability,
} from '@commercetools/platform-sdk';
import { mapCatalogProduct, type CatalogProductOptions } from '../../../src/mappers/catalog-product';
import { ctCategory, ctProduct } from '../../support/commercetools-fixtures';

const NOW = new Date('2026-06-15T12:00:00.000Z');

const loadedCategories = new Map(
  [
    ctCategory('women'),
    ctCategory('pants', undefined, ['women']),
    ctCategory('jeans', undefined, ['women', 'pants']),
    ctCategory('shirts', undefined, ['women']),
    ctCategory('sale'),
  ].map((loaded) => [loaded.id, loaded]),
);

const cents = (id: string, currencyCode: string, centAmount: number, extra: Partial<Price> = {}): Price => ({
  id,
  value: { type: 'centPrecision', currencyCode, centAmount, fractionDigits: 2 },
  ...extra,
});

function variant(id: number, extra: Partial<ProductVariant> = {}): ProductVariant {
  return { id, ...extra };
}

function product(data: Partial<ProductData> = {}): Product {
  return ctProduct({
    name: { en: 'Shirt', de: 'Hemd' },
    description: { en: 'Soft cotton', de: 'Weiche Baumwolle' },
    slug: { en: 'shirt', de: 'hemd' },
    categories: [],
    masterVariant: variant(1, { sku: 'SHIRT-M' }),
    variants: [],
    searchKeywords: {},
    attributes: [],
    ...data,
  });
}

const options = (extra: Partial<CatalogProductOptions> = {}): CatalogProductOptions => ({
  now: NOW,
  categoryById: (id) => loadedCategories.get(id),
  ...extra,
});

/** The parsed `price_json` of an item's or variant's custom metadata. */
const priceKeys = (customMetadata: object | null | undefined): unknown =>
  JSON.parse((customMetadata as { price_json: string }).price_json);

describe('mapCatalogProduct', () => {
  it('maps a product to its item and one variant per SKU, each in create and update form', () => {
    const shirt = product({
      categories: [
        { typeId: 'category', id: 'jeans' },
        { typeId: 'category', id: 'shirts' },
      ],
      masterVariant: variant(1, {
        sku: 'SHIRT-M',
        images: [
          { url: 'https://img.example/m-front.jpg', dimensions: { w: 800, h: 600 } },
          { url: 'https://img.example/m-back.jpg', dimensions: { w: 800, h: 600 } },
        ],
        prices: [cents('eur-de', 'EUR', 1999, { country: 'DE' }), cents('usd-us', 'USD', 2499, { country: 'US' })],
        availability: { availableQuantity: 7 },
      }),
      variants: [variant(2, { sku: 'SHIRT-L' }), variant(3)],
    });

    const mapped = mapCatalogProduct(
      shirt,
      options({ preferredLocale: 'de-DE', productUrlTemplate: 'https://shop.example/p/{{productSlug}}' }),
    );

    const categories = {
      data: [
        { type: 'catalog-category', id: '$custom:::$default:::jeans' },
        { type: 'catalog-category', id: '$custom:::$default:::shirts' },
        { type: 'catalog-category', id: '$custom:::$default:::women' },
        { type: 'catalog-category', id: '$custom:::$default:::pants' },
      ],
    };
    const localeMetadata = {
      title_json: '{"title_en":"Shirt","title_de":"Hemd"}',
      slug_json: '{"slug_en":"shirt","slug_de":"hemd"}',
    };
    const masterPriceMetadata = {
      price_json: '{"price_EUR":19.99,"price_DE":19.99,"price_USD":24.99,"price_US":24.99}',
      currency_json: '{"currency_DE":"EUR","currency_US":"USD"}',
    };
    const identity = (externalId: string) => ({ externalId, integrationType: '$custom', catalogType: '$default' });
    const shared = {
      title: 'Hemd',
      description: 'Weiche Baumwolle',
      url: 'https://shop.example/p/hemd',
      published: true,
    };
    const itemAttributes = {
      ...shared,
      imageFullUrl: 'https://img.example/m-front.jpg',
      price: 19.99,
      customMetadata: { ...localeMetadata, ...masterPriceMetadata },
    };
    const variantAttributes = (sku: string, extra: object) => ({ ...shared, sku, inventoryPolicy: 1, ...extra });
    const masterAttributes = variantAttributes('SHIRT-M', {
      imageFullUrl: 'https://img.example/m-front.jpg',
      inventoryQuantity: 7,
      price: 19.99,
      customMetadata: { ...localeMetadata, ...masterPriceMetadata },
    });
    const largeAttributes = variantAttributes('SHIRT-L', {
      inventoryQuantity: 0,
      price: 0,
      // No price list at all: no price keys, as the original module.
      customMetadata: localeMetadata,
    });
    const ofItem = { item: { data: { type: 'catalog-item', id: '$custom:::$default:::prod-1' } } };
    expect(mapped).toStrictEqual({
      item: {
        id: '$custom:::$default:::prod-1',
        create: {
          type: 'catalog-item',
          attributes: { ...identity('prod-1'), ...itemAttributes },
          relationships: { categories },
        },
        update: {
          type: 'catalog-item',
          id: '$custom:::$default:::prod-1',
          attributes: itemAttributes,
          relationships: { categories },
        },
      },
      variants: [
        {
          id: '$custom:::$default:::SHIRT-M',
          sku: 'SHIRT-M',
          create: {
            type: 'catalog-variant',
            attributes: { ...identity('SHIRT-M'), ...masterAttributes },
            relationships: ofItem,
          },
          update: { type: 'catalog-variant', id: '$custom:::$default:::SHIRT-M', attributes: masterAttributes },
        },
        {
          id: '$custom:::$default:::SHIRT-L',
          sku: 'SHIRT-L',
          create: {
            type: 'catalog-variant',
            attributes: { ...identity('SHIRT-L'), ...largeAttributes },
            relationships: ofItem,
          },
          update: { type: 'catalog-variant', id: '$custom:::$default:::SHIRT-L', attributes: largeAttributes },
        },
      ],
      variantIdsWithoutSku: [3],
    });
  });

  describe('texts and url', () => {
    const multilingual = product({
      name: { de: 'Hemd', 'en-US': 'Shirt (US)', en: 'Shirt' },
      description: { de: 'Weich', 'en-US': 'Soft (US)', en: 'Soft' },
      slug: { de: 'hemd', 'en-US': 'shirt-us', en: 'shirt' },
    });

    it.each<[string, string | undefined, { title: string; description: string; url: string }]>([
      [
        'the preferred locale',
        'en-US',
        { title: 'Shirt (US)', description: 'Soft (US)', url: 'https://shop.example/p/shirt-us' },
      ],
      [
        'the language of the preferred locale',
        'en-GB',
        { title: 'Shirt', description: 'Soft', url: 'https://shop.example/p/shirt' },
      ],
      [
        'the first locale when neither is there',
        'fr-FR',
        { title: 'Hemd', description: 'Weich', url: 'https://shop.example/p/hemd' },
      ],
      [
        'the first locale without preferred locale',
        undefined,
        { title: 'Hemd', description: 'Weich', url: 'https://shop.example/p/hemd' },
      ],
    ])('%s, for item and variants', (_case, preferredLocale, expected) => {
      const mapped = mapCatalogProduct(
        multilingual,
        options({ preferredLocale, productUrlTemplate: 'https://shop.example/p/{{productSlug}}' }),
      );
      const { title, description, url } = mapped.item.create.attributes;
      expect({ title, description, url }).toStrictEqual(expected);
      const variantAttributes = mapped.variants[0].create.attributes;
      expect({
        title: variantAttributes.title,
        description: variantAttributes.description,
        url: variantAttributes.url,
      }).toStrictEqual(expected);
    });

    it('records every locale of name and slug in custom metadata, whatever the preferred locale', () => {
      const { customMetadata } = mapCatalogProduct(multilingual, options({ preferredLocale: 'en-US' })).item.create
        .attributes;
      expect(customMetadata).toMatchObject({
        title_json: '{"title_de":"Hemd","title_en-US":"Shirt (US)","title_en":"Shirt"}',
        slug_json: '{"slug_de":"hemd","slug_en-US":"shirt-us","slug_en":"shirt"}',
      });
    });

    it('sends an empty description when the product has none', () => {
      const mapped = mapCatalogProduct(product({ description: undefined }), options());
      expect(mapped.item.create.attributes.description).toBe('');
      expect(mapped.variants[0].create.attributes.description).toBe('');
    });

    it.each<[string, string | undefined, string]>([
      ['without template, "None" as the original module', undefined, 'None'],
      [
        'the slug replaces the placeholder',
        'https://shop.example/products/{{productSlug}}',
        'https://shop.example/products/shirt',
      ],
      [
        'every placeholder is replaced',
        'https://shop.example/{{productSlug}}?ref={{productSlug}}',
        'https://shop.example/shirt?ref=shirt',
      ],
      ['a template without placeholder is sent as it is', 'https://shop.example/all', 'https://shop.example/all'],
    ])('url: %s', (_case, productUrlTemplate, expectedUrl) => {
      const mapped = mapCatalogProduct(product(), options({ productUrlTemplate }));
      expect(mapped.item.create.attributes.url).toBe(expectedUrl);
      expect(mapped.variants[0].create.attributes.url).toBe(expectedUrl);
    });
  });

  it('leaves imageFullUrl out where a variant has no image, and gives each variant its own', () => {
    const mapped = mapCatalogProduct(
      product({
        masterVariant: variant(1, { sku: 'M' }),
        variants: [
          variant(2, { sku: 'L', images: [{ url: 'https://img.example/l.jpg', dimensions: { w: 1, h: 1 } }] }),
        ],
      }),
      options(),
    );
    expect('imageFullUrl' in mapped.item.create.attributes).toBe(false);
    expect('imageFullUrl' in mapped.item.update.attributes).toBe(false);
    expect('imageFullUrl' in mapped.variants[0].create.attributes).toBe(false);
    expect(mapped.variants[1].create.attributes.imageFullUrl).toBe('https://img.example/l.jpg');
  });

  describe('price', () => {
    const vip = { typeId: 'customer-group', id: 'vip' } as const;

    // Which keys price_json and currency_json hold is table-tested with priceMetadata; here, that
    // item and variant carry them beside the price chosen by PREFERRED_CURRENCY.
    it.each<[string, Price[], string | undefined, number, Record<string, number>]>([
      ['no prices: 0', [], undefined, 0, {}],
      [
        'without preferred currency, the first price',
        [cents('eur', 'EUR', 1000), cents('usd', 'USD', 1200)],
        undefined,
        10,
        { price_EUR: 10, price_FR: 10, price_USD: 12, price_US: 12 },
      ],
      [
        'the preferred currency',
        [cents('eur', 'EUR', 1000), cents('usd', 'USD', 1200)],
        'USD',
        12,
        { price_EUR: 10, price_FR: 10, price_USD: 12, price_US: 12 },
      ],
      ['no price in the preferred currency: 0', [cents('eur', 'EUR', 1000)], 'GBP', 0, { price_EUR: 10, price_DE: 10 }],
      [
        'a customer-group price is not a regular price; its currency with no other price is 0',
        [cents('vip-usd', 'USD', 500, { customerGroup: vip }), cents('eur', 'EUR', 1000)],
        undefined,
        10,
        { price_USD: 0, price_US: 0, price_EUR: 10, price_AT: 10 },
      ],
      [
        'a current sale beats the regular price, per currency, with its country',
        [
          cents('eur', 'EUR', 1000),
          cents('eur-sale-at', 'EUR', 800, {
            country: 'AT',
            validFrom: '2026-06-01T00:00:00.000Z',
            validUntil: '2026-07-01T00:00:00.000Z',
          }),
          cents('eur-ended', 'EUR', 500, { validUntil: '2026-06-01T00:00:00.000Z' }),
          cents('chf-future', 'CHF', 900, { country: 'CH', validFrom: '2026-07-01T00:00:00.000Z' }),
          cents('chf', 'CHF', 1100, { country: 'CH' }),
        ],
        undefined,
        8,
        { price_EUR: 8, price_AT: 8, price_CHF: 11, price_CH: 11 },
      ],
    ])('%s', (_case, prices, preferredCurrency, expectedPrice, expectedPriceKeys) => {
      const mapped = mapCatalogProduct(
        product({ masterVariant: variant(1, { sku: 'M', prices }) }),
        options({ preferredCurrency }),
      );
      for (const attributes of [mapped.item.create.attributes, mapped.variants[0].create.attributes]) {
        expect(attributes.price).toBe(expectedPrice);
        expect(priceKeys(attributes.customMetadata)).toMatchObject(expectedPriceKeys);
      }
    });

    it('keys a sale set for one country to that country only', () => {
      const mapped = mapCatalogProduct(
        product({
          masterVariant: variant(1, {
            sku: 'M',
            prices: [
              cents('eur', 'EUR', 1000),
              cents('eur-sale-at', 'EUR', 800, {
                country: 'AT',
                validFrom: '2026-06-01T00:00:00.000Z',
                validUntil: '2026-07-01T00:00:00.000Z',
              }),
            ],
          }),
        }),
        options(),
      );
      expect(mapped.variants[0].create.attributes.customMetadata).toMatchObject({
        price_json: '{"price_EUR":8,"price_AT":8}',
        currency_json: '{"currency_AT":"EUR"}',
      });
    });

    it('gives the item the master price and each variant its own', () => {
      const mapped = mapCatalogProduct(
        product({
          masterVariant: variant(1, { sku: 'M', prices: [cents('m', 'EUR', 1000)] }),
          variants: [variant(2, { sku: 'L', prices: [cents('l', 'EUR', 1500)] })],
        }),
        options(),
      );
      expect(mapped.item.create.attributes.price).toBe(10);
      expect(mapped.variants.map((mappedVariant) => mappedVariant.create.attributes.price)).toStrictEqual([10, 15]);
      expect(priceKeys(mapped.variants[1].create.attributes.customMetadata)).toMatchObject({
        price_EUR: 15,
        price_IT: 15,
      });
    });
  });

  const stock = (availableQuantity: number) => ({ id: 'inventory-entry', version: 1, availableQuantity });

  it.each<[string, ProductVariantAvailability | undefined, string | undefined, number]>([
    ['the configured channel', { availableQuantity: 7, channels: { berlin: stock(3) } }, 'berlin', 3],
    ['the configured channel even when empty', { availableQuantity: 7, channels: { berlin: stock(0) } }, 'berlin', 0],
    [
      'the total when the channel has no stock entry',
      { availableQuantity: 7, channels: { hamburg: stock(3) } },
      'berlin',
      7,
    ],
    ['the total when no channel has stock data', { availableQuantity: 7 }, 'berlin', 7],
    ['the total without configured channel', { availableQuantity: 7, channels: { berlin: stock(3) } }, undefined, 7],
    ['0 without stock data', undefined, 'berlin', 0],
    ['0 without total', { isOnStock: false }, undefined, 0],
  ])('inventory quantity: %s', (_case, availability, inventoryChannelId, expectedQuantity) => {
    const mapped = mapCatalogProduct(
      product({ masterVariant: variant(1, { sku: 'M', availability }) }),
      options({ inventoryChannelId }),
    );
    expect(mapped.variants[0].create.attributes.inventoryQuantity).toBe(expectedQuantity);
    expect(mapped.variants[0].update.attributes.inventoryQuantity).toBe(expectedQuantity);
  });

  it.each<[string, string[], string[] | undefined]>([
    ['no categories: no relationship', [], undefined],
    ['a root category', ['sale'], ['sale']],
    ['a category and its ancestors', ['jeans'], ['jeans', 'women', 'pants']],
    [
      'shared ancestors once, across categories',
      ['jeans', 'shirts', 'sale'],
      ['jeans', 'shirts', 'sale', 'women', 'pants'],
    ],
    ["a category also listed as another one's ancestor, once", ['women', 'pants'], ['women', 'pants']],
    ['a category the lookup does not know keeps its own id', ['new-in'], ['new-in']],
  ])('categories: %s', (_case, categoryIds, expectedIds) => {
    const mapped = mapCatalogProduct(
      product({ categories: categoryIds.map((id) => ({ typeId: 'category', id })) }),
      options(),
    );
    const expected = expectedIds && {
      categories: { data: expectedIds.map((id) => ({ type: 'catalog-category', id: `$custom:::$default:::${id}` })) },
    };
    expect(mapped.item.create.relationships).toStrictEqual(expected);
    expect(mapped.item.update.relationships).toStrictEqual(expected);
  });

  it.each<[string, ProductVariant, ProductVariant[], string[], number[]]>([
    ['all variants have a SKU', variant(1, { sku: 'M' }), [variant(2, { sku: 'L' })], ['M', 'L'], []],
    [
      'a variant without SKU is left out and reported',
      variant(1, { sku: 'M' }),
      [variant(2), variant(3, { sku: 'XL' })],
      ['M', 'XL'],
      [2],
    ],
    ['a master variant without SKU too', variant(1), [variant(2, { sku: 'L' })], ['L'], [1]],
    ['an empty SKU counts as none', variant(1, { sku: '' }), [], [], [1]],
  ])('variants: %s', (_case, masterVariant, variants, expectedSkus, expectedSkipped) => {
    const mapped = mapCatalogProduct(product({ masterVariant, variants }), options());
    expect(mapped.variants.map((mappedVariant) => mappedVariant.id)).toStrictEqual(
      expectedSkus.map((sku) => `$custom:::$default:::${sku}`),
    );
    expect(mapped.variants.map((mappedVariant) => mappedVariant.create.attributes.externalId)).toStrictEqual(
      expectedSkus,
    );
    expect(mapped.variantIdsWithoutSku).toStrictEqual(expectedSkipped);
  });
});
