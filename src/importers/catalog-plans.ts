import type { ExistingCatalogItem } from '../clients/klaviyo/catalog';
import type { CatalogJobRecord } from '../clients/klaviyo/catalog-endpoints';
import type { CatalogCategoryMapping } from '../mappers/catalog-category';
import type { CatalogProductMapping } from '../mappers/catalog-product';

/** What to do with one category, given the name Klaviyo has for it (undefined: Klaviyo has none). */
export type CategoryPlan =
  | { action: 'create'; record: CatalogJobRecord<'category', 'create'> }
  | { action: 'update'; record: CatalogJobRecord<'category', 'update'> }
  | { action: 'unchanged' };

/** A category's name is all Klaviyo keeps of it, so an equal name means nothing to send. */
export function planCategory(mapping: CatalogCategoryMapping, existingName: string | undefined): CategoryPlan {
  if (existingName === undefined) return { action: 'create', record: mapping.create };
  if (existingName === mapping.update.attributes.name) return { action: 'unchanged' };
  return { action: 'update', record: mapping.update };
}

/** The variant jobs of one product, sent once its item exists. */
export interface VariantPlan {
  /**
   * Variants of the product's SKUs that Klaviyo has under another item (the SKU moved between
   * products): deleted before `create` creates them under this one, since a create of an existing
   * variant is refused and an update cannot move a variant to another item.
   */
  takeOver: CatalogJobRecord<'variant', 'delete'>[];
  create: CatalogJobRecord<'variant', 'create'>[];
  update: CatalogJobRecord<'variant', 'update'>[];
  delete: CatalogJobRecord<'variant', 'delete'>[];
}

/** What to send for one product: its item first, then its variants. */
export type ProductPlan =
  | { action: 'create'; item: CatalogJobRecord<'item', 'create'>; variants: VariantPlan }
  | { action: 'update'; item: CatalogJobRecord<'item', 'update'>; variants: VariantPlan };

/**
 * A published product against what Klaviyo has: the item is created or updated (every field of it
 * comes from commercetools, so an update is sent whatever changed); each SKU's variant is created or
 * updated, and taken over first when Klaviyo has it under another item (`variantsElsewhere`: ids
 * of the product's variants that exist but not under its item); Klaviyo variants of the item whose
 * SKU the product no longer has are deleted.
 */
export function planPublishedProduct(
  mapping: CatalogProductMapping,
  existing: ExistingCatalogItem | undefined,
  variantsElsewhere: ReadonlySet<string> = new Set(),
): ProductPlan {
  const existingVariantIds = new Set(existing?.variantIds ?? []);
  const wantedVariantIds = new Set(mapping.variants.map((variant) => variant.id));
  const variants: VariantPlan = {
    takeOver: mapping.variants
      .filter((variant) => !existingVariantIds.has(variant.id) && variantsElsewhere.has(variant.id))
      .map((variant) => ({ type: 'catalog-variant', id: variant.id })),
    create: mapping.variants.filter((variant) => !existingVariantIds.has(variant.id)).map((variant) => variant.create),
    update: mapping.variants.filter((variant) => existingVariantIds.has(variant.id)).map((variant) => variant.update),
    delete: [...existingVariantIds]
      .filter((id) => !wantedVariantIds.has(id))
      .map((id) => ({ type: 'catalog-variant', id })),
  };
  return existing
    ? { action: 'update', item: mapping.item.update, variants }
    : { action: 'create', item: mapping.item.create, variants };
}

/**
 * An unpublished product that Klaviyo still has: item and variants are marked unpublished, which
 * keeps them out of feeds and recommendations while the history that refers to them stays intact,
 * and publishing the product again turns them back on without creating anything twice.
 */
export function planUnpublishedProduct(existing: ExistingCatalogItem): ProductPlan {
  return {
    action: 'update',
    item: { type: 'catalog-item', id: existing.id, attributes: { published: false } },
    variants: {
      takeOver: [],
      create: [],
      update: existing.variantIds.map((id) => ({ type: 'catalog-variant', id, attributes: { published: false } })),
      delete: [],
    },
  };
}
