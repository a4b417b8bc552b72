import type { Product } from '@commercetools/platform-sdk';
import { CategoryCache } from '../clients/commercetools/category-cache';
import type { PageQuery } from '../clients/commercetools/keyset-pages';
import type { ExistingCatalogItem, KlaviyoCatalog } from '../clients/klaviyo/catalog';
import type { EffectiveRequest, Importer, ImportRun } from '../engine/importer';
import { readRanges } from '../engine/read-ranges';
import { catalogId } from '../mappers/catalog-ids';
import { mapCatalogProduct, type CatalogProductMapping, type CatalogProductOptions } from '../mappers/catalog-product';
import { deleteAllItems } from './catalog-delete-all';
import { CatalogQueues, type RecordFailure } from './catalog-jobs';
import { planPublishedProduct, planUnpublishedProduct, type ProductPlan } from './catalog-plans';
import { readerRanges, recordPages } from './record-reading';
import type { ImporterDeps } from './importer-deps';

/** Parallel readers over the id space for a full import. */
const readerCount = 4;
/** Products per commercetools page: a product with its current and staged data is some 6 KB of JSON. */
const productPageSize = 100;
/**
 * Products between read and settled (their mappings wait in memory for their jobs). Enough to keep
 * Klaviyo's job rate busy while jobs take seconds, small enough to keep memory flat.
 */
const backlogLimit = 500;

/**
 * Every published commercetools product becomes a Klaviyo catalog item with one variant per SKU.
 * Items are created or updated first; once an item's job is complete its variants are created or
 * updated, and its Klaviyo variants whose SKU is gone are deleted. A product that is no longer
 * published but still in Klaviyo is marked unpublished there (see planUnpublishedProduct).
 */
export class ProductsImporter implements Importer {
  readonly type = 'products';

  constructor(
    private readonly deps: ImporterDeps,
    private readonly catalog: KlaviyoCatalog,
  ) {}

  initialRanges(request: EffectiveRequest) {
    return readerRanges(request, readerCount);
  }

  async importRecords(run: ImportRun): Promise<void> {
    const { commercetools } = this.deps;
    const { catalog } = this;
    if (run.request.mode === 'deleteAll') return deleteAllItems(catalog, run);

    // Products name their categories by id; relationships need each category's ancestors too.
    const categories = await CategoryCache.load(commercetools, run.signal);
    const mapping = this.mappingOptions(categories);
    const queues = new CatalogQueues(catalog, run, backlogLimit);
    // Variants this run takes over from another item (their SKU moved to a product read here).
    const takenOver = new Set<string>();
    let variantsWithoutSku = 0;
    // Each page is mapped as soon as it arrives, so the raw products (current and staged data, every
    // price) are garbage before the first wait and never reach V8's old generation. Unpublished
    // products are read too: those Klaviyo still has are marked unpublished there.
    const queryProducts = commercetools.queryPage('products', run.signal);
    const fetchProducts = (query: PageQuery) =>
      queryProducts(query).then((products) => products.map((product) => readProduct(product, mapping)));

    try {
      await readRanges(
        run,
        recordPages<ReadProduct>(run, fetchProducts, productPageSize),
        async (products, rangeIndex) => {
          const existingItems = await catalog.findItems(
            products.map((product) => catalogId(product.id)),
            run.signal,
          );
          const elsewhere = await catalog.findVariantIds(variantsOutsideTheirItem(products, existingItems), run.signal);
          for (const id of elsewhere) takenOver.add(id);
          const ticket = run.tracker.openPage(rangeIndex, products[products.length - 1].id, products.length);
          for (const product of products) {
            if ('mapping' in product && product.mapping)
              variantsWithoutSku += product.mapping.variantIdsWithoutSku.length;
            const existing = existingItems.get(catalogId(product.id));
            const imported = this.importProduct(queues, product, existing, takenOver).then((outcome) => {
              if (outcome.failure) run.progress.failed(product.id, outcome.failure, ticket);
              if (outcome.skip) run.progress.skipped(product.id, outcome.skip, ticket);
              run.tracker.settle(ticket);
            });
            queues.backlog.track(imported);
          }
          // The next page is fetched only once there is room for it.
          await queues.backlog.roomAvailable();
        },
      );
    } finally {
      // Jobs already submitted settle their records before the run ends, however it ends.
      await queues.drain();
    }
    if (variantsWithoutSku > 0)
      run.logger.info({ variants: variantsWithoutSku }, 'Variants without SKU left out of the catalog');
  }

  /** Sends what the product needs in Klaviyo, and answers why it failed or was skipped, if it was. */
  private async importProduct(
    queues: CatalogQueues,
    product: ReadProduct,
    existing: ExistingCatalogItem | undefined,
    takenOver: ReadonlySet<string>,
  ): Promise<{ failure?: string; skip?: string }> {
    if ('failure' in product) return product;
    if (product.mapping) {
      const plan = planPublishedProduct(product.mapping, existing, takenOver);
      return { failure: await this.send(queues, plan, takenOver) };
    }
    if (existing) return { failure: await this.send(queues, planUnpublishedProduct(existing), takenOver) };
    return { skip: 'not published' };
  }

  private mappingOptions(categories: CategoryCache): CatalogProductOptions {
    const { config, now } = this.deps;
    return {
      preferredLocale: config.preferredLocale,
      preferredCurrency: config.preferredCurrency,
      productUrlTemplate: config.productUrlTemplate,
      inventoryChannelId: config.inventoryChannelId,
      now: now(),
      categoryById: categories.byId,
    };
  }

  /**
   * Sends the item, and once Klaviyo has it, the variant changes; answers the first failure. A
   * failed item sends no variants: they need their item. Variants taken over from another item are
   * deleted there before they are created here.
   */
  private async send(queues: CatalogQueues, plan: ProductPlan, takenOver: ReadonlySet<string>): Promise<RecordFailure> {
    const itemFailure = await (plan.action === 'create'
      ? queues.of('item', 'create').send(plan.item)
      : queues.of('item', 'update').send(plan.item));
    if (itemFailure) return itemFailure;
    const { takeOver, create, update, delete: remove } = plan.variants;
    // A failed deletion is not the product's failure: the old product's run may have deleted the
    // variant already. The create that follows tells whether the SKU landed.
    await Promise.all(takeOver.map((record) => queues.of('variant', 'delete').send(record)));
    const variantFailures = await Promise.all([
      ...create.map((record) => queues.of('variant', 'create').send(record)),
      ...update.map((record) => queues.of('variant', 'update').send(record)),
      // A variant another product took over is its now, not one gone from this product.
      ...remove
        .filter((record) => !takenOver.has(record.id))
        .map((record) => queues.of('variant', 'delete').send(record)),
    ]);
    return variantFailures.find(Boolean);
  }
}

/** The ids of the pages' variants that Klaviyo does not have under their product's item. */
function variantsOutsideTheirItem(products: ReadProduct[], items: Map<string, ExistingCatalogItem>): string[] {
  return products.flatMap((product) => {
    if (!('mapping' in product) || !product.mapping) return [];
    const underItem = new Set(items.get(catalogId(product.id))?.variantIds ?? []);
    return product.mapping.variants.map((variant) => variant.id).filter((id) => !underItem.has(id));
  });
}

/** A product as read: its mapping when published, none when not, or why it could not be mapped. */
type ReadProduct = { id: string } & ({ mapping?: CatalogProductMapping } | { failure: string });

/** A product the mapper cannot handle is counted as failed, not lost. */
function readProduct(product: Product, options: CatalogProductOptions): ReadProduct {
  if (!product.masterData.published) return { id: product.id };
  try {
    return { id: product.id, mapping: mapCatalogProduct(product, options) };
  } catch (error) {
    return { id: product.id, failure: `could not be mapped: ${(error as Error).message}` };
  }
}
