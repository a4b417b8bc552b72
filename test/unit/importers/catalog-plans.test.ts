import type { Product, ProductVariant } from '@commercetools/platform-sdk';
import { planCategory, planPublishedProduct, planUnpublishedProduct } from '../../../src/importers/catalog-plans';
import { mapCatalogCategory } from '../../../src/mappers/catalog-category';
import { mapCatalogProduct } from '../../../src/mappers/catalog-product';
import { ctCategory, ctProduct } from '../../support/commercetools-fixtures';

const id = (externalId: string) => `$custom:::$default:::${externalId}`;

describe('planCategory', () => {
  const jeans = mapCatalogCategory(ctCategory('jeans', { en: 'Jeans' }), { categoryById: () => undefined });

  it('creates a category Klaviyo does not have, with its identity', () => {
    expect(planCategory(jeans, undefined)).toStrictEqual({ action: 'create', record: jeans.create });
  });

  it('updates a category whose name changed, by id and without identity', () => {
    expect(planCategory(jeans, 'Denim')).toStrictEqual({
      action: 'update',
      record: { type: 'catalog-category', id: id('jeans'), attributes: { name: 'Jeans' } },
    });
  });

  it('sends nothing for a category whose name is the same', () => {
    expect(planCategory(jeans, 'Jeans')).toStrictEqual({ action: 'unchanged' });
  });
});

function product(skus: Array<string | undefined>): Product {
  const [master, ...others] = skus.map((sku, index): ProductVariant => ({ id: index + 1, sku }));
  return ctProduct(
    {
      name: { en: 'Shirt' },
      slug: { en: 'shirt' },
      categories: [],
      masterVariant: master,
      variants: others,
      searchKeywords: {},
      attributes: [],
    },
    'p1',
  );
}

const mapped = (skus: Array<string | undefined>) =>
  mapCatalogProduct(product(skus), { now: new Date('2026-06-01T00:00:00Z'), categoryById: () => undefined });

describe('planPublishedProduct', () => {
  it('creates the item and every variant of a product Klaviyo does not have', () => {
    const mapping = mapped(['A', 'B']);
    const plan = planPublishedProduct(mapping, undefined);
    expect(plan.action).toBe('create');
    expect(plan.item).toBe(mapping.item.create);
    expect(plan.variants).toStrictEqual({
      takeOver: [],
      create: mapping.variants.map((variant) => variant.create),
      update: [],
      delete: [],
    });
  });

  it('updates the item, creates new SKUs, updates kept ones and deletes the ones that are gone', () => {
    const mapping = mapped(['A', 'C']);
    const plan = planPublishedProduct(mapping, { id: id('p1'), variantIds: [id('A'), id('B')] });
    expect(plan.action).toBe('update');
    expect(plan.item).toBe(mapping.item.update);
    expect(plan.variants.create.map((record) => record.attributes.sku)).toStrictEqual(['C']);
    expect(plan.variants.update.map((record) => record.id)).toStrictEqual([id('A')]);
    expect(plan.variants.delete).toStrictEqual([{ type: 'catalog-variant', id: id('B') }]);
  });

  it('deletes every Klaviyo variant when no variant has a SKU any more', () => {
    const plan = planPublishedProduct(mapped([undefined]), { id: id('p1'), variantIds: [id('A')] });
    expect(plan.variants).toStrictEqual({
      takeOver: [],
      create: [],
      update: [],
      delete: [{ type: 'catalog-variant', id: id('A') }],
    });
  });

  it('takes over a variant Klaviyo has under another item: deleted there first, then created here', () => {
    const mapping = mapped(['A', 'B', 'C']);
    const plan = planPublishedProduct(mapping, { id: id('p1'), variantIds: [id('A')] }, new Set([id('A'), id('B')]));
    expect(plan.variants.takeOver).toStrictEqual([{ type: 'catalog-variant', id: id('B') }]);
    expect(plan.variants.create.map((record) => record.attributes.sku)).toStrictEqual(['B', 'C']);
    expect(plan.variants.update.map((record) => record.id)).toStrictEqual([id('A')]);
  });
});

describe('planUnpublishedProduct', () => {
  it('marks the item and each of its Klaviyo variants unpublished, creating and deleting nothing', () => {
    expect(planUnpublishedProduct({ id: id('p1'), variantIds: [id('A'), id('B')] })).toStrictEqual({
      action: 'update',
      item: { type: 'catalog-item', id: id('p1'), attributes: { published: false } },
      variants: {
        takeOver: [],
        create: [],
        update: [
          { type: 'catalog-variant', id: id('A'), attributes: { published: false } },
          { type: 'catalog-variant', id: id('B'), attributes: { published: false } },
        ],
        delete: [],
      },
    });
  });
});
