import type { Category } from '@commercetools/platform-sdk';
import type { CatalogCategoryCreateQueryResourceObject, CatalogCategoryUpdateQueryResourceObject } from 'klaviyo-api';
import { catalogId, catalogIdentity, withoutIdentity } from './catalog-ids';
import { categoryPathNames, type CategoryLookup } from './category-paths';
import { localizedText } from './localized-text';

export interface CatalogCategoryOptions {
  preferredLocale?: string;
  categoryById: CategoryLookup;
}

/** One commercetools category as Klaviyo catalog category: its id and both job forms. */
export interface CatalogCategoryMapping {
  /** Klaviyo catalog category id. */
  id: string;
  /** For catalog-category bulk create jobs. */
  create: CatalogCategoryCreateQueryResourceObject;
  /** For catalog-category bulk update jobs. */
  update: CatalogCategoryUpdateQueryResourceObject;
}

/**
 * The category's breadcrumb, "Women > Pants > Jeans", by the shared path rule (category-paths.ts).
 * When that rule finds no complete path (an ancestor or a name is missing), the name is the
 * category's own: a catalog category must have a name, and "Jeans" names the right place where a
 * path with a gap ("Women > Jeans") would name a wrong one. A category without any text in its
 * name is called by its id, the one name it certainly has.
 */
function catalogCategoryName(category: Category, options: CatalogCategoryOptions): string {
  // The category being mapped need not be among those the lookup knows.
  const lookup: CategoryLookup = (id) => (id === category.id ? category : options.categoryById(id));
  const path = categoryPathNames(category.id, lookup, options.preferredLocale);
  return path?.join(' > ') ?? localizedText(category.name, options.preferredLocale) ?? category.id;
}

export function mapCatalogCategory(category: Category, options: CatalogCategoryOptions): CatalogCategoryMapping {
  const id = catalogId(category.id);
  const attributes = {
    ...catalogIdentity(category.id),
    name: catalogCategoryName(category, options),
  } as const;
  return {
    id,
    create: { type: 'catalog-category', attributes },
    update: { type: 'catalog-category', id, attributes: withoutIdentity(attributes) },
  };
}
