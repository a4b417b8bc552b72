import type { LocalizedString, Product, ProductData, ProductVariant } from '@commercetools/platform-sdk';
import type {
  CatalogItemCreateQueryResourceObject,
  CatalogItemUpdateQueryResourceObject,
  CatalogVariantCreateQueryResourceObject,
  CatalogVariantUpdateQueryResourceObject,
} from 'klaviyo-api';
import { catalogId, catalogIdentity, withoutIdentity } from './catalog-ids';
import type { CategoryLookup } from './category-paths';
import { localizedText } from './localized-text';
import { choosePrice, priceAmount, type PriceRules } from './price';
import { priceMetadata } from './price-metadata';

export interface CatalogProductOptions {
  preferredLocale?: string;
  preferredCurrency?: string;
  /** PRODUCT_URL_TEMPLATE; `{{productSlug}}` in it is replaced by the product's slug. */
  productUrlTemplate?: string;
  /** Supply channel whose stock is reported; without it, or without stock data for it, the variant's total. */
  inventoryChannelId?: string;
  now: Date;
  categoryById: CategoryLookup;
}

export interface CatalogItemMapping {
  /** Klaviyo catalog item id. */
  id: string;
  /** For catalog-item bulk create jobs. */
  create: CatalogItemCreateQueryResourceObject;
  /** For catalog-item bulk update jobs. */
  update: CatalogItemUpdateQueryResourceObject;
}

export interface CatalogVariantMapping {
  /** Klaviyo catalog variant id; Klaviyo variants of the item whose id is not among these are gone. */
  id: string;
  sku: string;
  /** For catalog-variant bulk create jobs (carries the item relationship). */
  create: CatalogVariantCreateQueryResourceObject;
  /** For catalog-variant bulk update jobs. */
  update: CatalogVariantUpdateQueryResourceObject;
}

export interface CatalogProductMapping {
  item: CatalogItemMapping;
  /** The master variant first, then the others, each with a SKU. */
  variants: CatalogVariantMapping[];
  /** commercetools ids of the variants left out because Klaviyo variants are keyed by SKU and they have none. */
  variantIdsWithoutSku: number[];
}

/** Attributes the item and each of its variants share. */
interface SharedAttributes {
  title: string;
  description: string;
  url: string;
  published: true;
}

/** `{ "title_en": "Shirt", "title_de": "Hemd" }` as JSON: every locale, for templates that need another. */
function localeJson(property: string, value: LocalizedString): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(value).map(([locale, text]) => [`${property}_${locale}`, text])),
  );
}

function productUrl(data: ProductData, options: CatalogProductOptions): string {
  // The original module sends "None" when no template is configured; Klaviyo requires a url.
  if (!options.productUrlTemplate) return 'None';
  return options.productUrlTemplate.replaceAll(
    '{{productSlug}}',
    localizedText(data.slug, options.preferredLocale) ?? '',
  );
}

/** Stock in the configured supply channel, else the variant's total, else 0. */
function inventoryQuantity(variant: ProductVariant, channelId: string | undefined): number {
  const availability = variant.availability;
  const inChannel = channelId ? availability?.channels?.[channelId]?.availableQuantity : undefined;
  return inChannel ?? availability?.availableQuantity ?? 0;
}

/** The product's categories and all their ancestors, each once, as Klaviyo category relationships. */
function categoryRelationships(data: ProductData, categoryById: CategoryLookup) {
  const ids = new Set(data.categories.map((category) => category.id));
  for (const category of data.categories) {
    for (const ancestor of categoryById(category.id)?.ancestors ?? []) ids.add(ancestor.id);
  }
  if (ids.size === 0) return undefined;
  return {
    categories: { data: [...ids].map((id) => ({ type: 'catalog-category' as const, id: catalogId(id) })) },
  };
}

/** Present only when the variant has an image: Klaviyo keeps the key absent rather than null. */
function firstImage(variant: ProductVariant): { imageFullUrl?: string } {
  const url = variant.images?.[0]?.url;
  return url === undefined ? {} : { imageFullUrl: url };
}

function mapVariant(
  variant: ProductVariant & { sku: string },
  itemId: string,
  shared: SharedAttributes,
  localeMetadata: Record<string, string>,
  rules: PriceRules,
  options: CatalogProductOptions,
): CatalogVariantMapping {
  const id = catalogId(variant.sku);
  const attributes = {
    ...catalogIdentity(variant.sku),
    ...shared,
    sku: variant.sku,
    ...firstImage(variant),
    inventoryQuantity: inventoryQuantity(variant, options.inventoryChannelId),
    // 1: Klaviyo leaves the variant out of recommendation feeds and blocks while it is out of stock.
    inventoryPolicy: 1,
    price: priceAmount(choosePrice(variant.prices, rules)).amount,
    customMetadata: { ...localeMetadata, ...(variant.prices && priceMetadata(variant.prices, rules.now)) },
  } as const;
  return {
    id,
    sku: variant.sku,
    create: {
      type: 'catalog-variant',
      attributes,
      relationships: { item: { data: { type: 'catalog-item', id: itemId } } },
    },
    update: { type: 'catalog-variant', id, attributes: withoutIdentity(attributes) },
  };
}

/**
 * A published product's current data as one Klaviyo catalog item and one variant per SKU.
 * The item's image and price come from the master variant; each variant has its own.
 */
export function mapCatalogProduct(product: Product, options: CatalogProductOptions): CatalogProductMapping {
  const data = product.masterData.current;
  const rules: PriceRules = { preferredCurrency: options.preferredCurrency, now: options.now };
  const shared: SharedAttributes = {
    title: localizedText(data.name, options.preferredLocale) ?? '',
    description: localizedText(data.description, options.preferredLocale) ?? '',
    url: productUrl(data, options),
    published: true,
  };
  const localeMetadata = { title_json: localeJson('title', data.name), slug_json: localeJson('slug', data.slug) };

  const itemId = catalogId(product.id);
  const itemAttributes = {
    ...catalogIdentity(product.id),
    ...shared,
    ...firstImage(data.masterVariant),
    price: priceAmount(choosePrice(data.masterVariant.prices, rules)).amount,
    customMetadata: {
      ...localeMetadata,
      ...(data.masterVariant.prices && priceMetadata(data.masterVariant.prices, rules.now)),
    },
  } as const;
  const relationships = categoryRelationships(data, options.categoryById);

  const allVariants = [data.masterVariant, ...data.variants];
  return {
    item: {
      id: itemId,
      create: { type: 'catalog-item', attributes: itemAttributes, ...(relationships && { relationships }) },
      update: {
        type: 'catalog-item',
        id: itemId,
        attributes: withoutIdentity(itemAttributes),
        ...(relationships && { relationships }),
      },
    },
    variants: allVariants
      .filter((variant): variant is ProductVariant & { sku: string } => Boolean(variant.sku))
      .map((variant) => mapVariant(variant, itemId, shared, localeMetadata, rules, options)),
    variantIdsWithoutSku: allVariants.filter((variant) => !variant.sku).map((variant) => variant.id),
  };
}
