import type { Category } from '@commercetools/platform-sdk';
import type {
  CatalogCategoryCreateQueryResourceObject,
  CatalogCategoryUpdateQueryResourceObject,
} from 'klaviyo-api';
import { CATALOG_INTEGRATION_TYPE, CATALOG_TYPE, catalogId, withoutIdentity } from './catalog-ids';
import { localizedText } from './localized-text';

/** Finds a category by id among those the importer has loaded for the run. */
export type CategoryLookup = (id: string) => Category | undefined;

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
 * The category's breadcrumb, "Women > Pants > Jeans": the names of its ancestors (commercetools
 * lists them root first) and its own, each in the preferred locale. An ancestor the lookup does not
 * know is left out rather than failing the category.
 */
function categoryPathName(category: Category, options: CatalogCategoryOptions): string {
  const path = [...category.ancestors.map((ancestor) => options.categoryById(ancestor.id)), category];
  return path
    .map((step) => step && localizedText(step.name, options.preferredLocale))
    .filter((name): name is string => name !== undefined)
    .join(' > ');
}

export function mapCatalogCategory(category: Category, options: CatalogCategoryOptions): CatalogCategoryMapping {
  const id = catalogId(category.id);
  const attributes = {
    externalId: category.id,
    integrationType: CATALOG_INTEGRATION_TYPE,
    catalogType: CATALOG_TYPE,
    name: categoryPathName(category, options),
  } as const;
  return {
    id,
    create: { type: 'catalog-category', attributes },
    update: { type: 'catalog-category', id, attributes: withoutIdentity(attributes) },
  };
}
