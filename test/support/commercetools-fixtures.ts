import type { Category, LocalizedString, Product, ProductData } from '@commercetools/platform-sdk';

/** A commercetools category; its slug is `{ en: id }` and its ancestors are given root first. */
export function ctCategory(id: string, name: LocalizedString = { en: id }, ancestorIds: string[] = []): Category {
  return {
    id,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastModifiedAt: '2026-01-01T00:00:00.000Z',
    name,
    slug: { en: id },
    orderHint: '0.5',
    ancestors: ancestorIds.map((ancestorId) => ({ typeId: 'category', id: ancestorId })),
  };
}

/** A published commercetools product whose current and staged data are `data`. */
export function ctProduct(data: ProductData, id = 'prod-1'): Product {
  return {
    id,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastModifiedAt: '2026-01-01T00:00:00.000Z',
    productType: { typeId: 'product-type', id: 'type-1' },
    masterData: { published: true, hasStagedChanges: false, current: data, staged: data },
  };
}
