/**
 * Records Klaviyo refuses in catalog jobs, end to end through the service's HTTP API against the
 * sandbox: the emulator refuses chosen records the way Klaviyo refuses invalid input (400 naming
 * each record), and only the commercetools records behind them fail.
 */
import type { Category, Product } from '@commercetools/platform-sdk';
import { mapCatalogProduct, type CatalogProductMapping } from '../../src/mappers/catalog-product';
import { emulatorInspector, runImport, startService, type RunningService } from '../support/service-harness';
import { readAllRecords, startSandbox, type RunningSandbox } from '../support/sandbox-process';
import type { RunStatus } from '../support/service-answers';
import { stringMatching } from '../support/matchers';

let sandbox: RunningSandbox;
let service: RunningService;
let emulator: ReturnType<typeof emulatorInspector>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 7, categories: 20, products: 120 });
  emulator = emulatorInspector(sandbox.klaviyoUrl!);
  service = await startService(sandbox.env);
}, 120_000);

afterAll(async () => {
  await service?.close();
  await sandbox?.stop();
});

const runProductsOrCategories = (type: 'categories' | 'products') => runImport(service.url, type);

describe('catalog records Klaviyo refuses', () => {
  it('fail exactly the product of a refused item and of a refused variant; every other item and variant lands', async () => {
    expect(await runProductsOrCategories('categories')).toMatchObject({ state: 'completed', counters: { failed: 0 } });
    const categories = new Map(
      (await readAllRecords<Category>(sandbox, 'categories')).map((category) => [category.id, category]),
    );
    const products = await readAllRecords<Product>(sandbox, 'products');
    const mappings = new Map<string, CatalogProductMapping>();
    for (const product of products.filter((candidate) => candidate.masterData.published)) {
      mappings.set(
        product.id,
        mapCatalogProduct(product, { now: new Date(), categoryById: (id) => categories.get(id) }),
      );
    }
    const published = [...mappings.entries()];
    // A string found in one record only: the item's product id, and a SKU found in no item.
    const [itemRefused] = published[3];
    const allItems = JSON.stringify(published.map(([, mapping]) => mapping.item));
    const [variantRefused, withRefusedVariant] = published.find(
      ([id, mapping]) =>
        id !== itemRefused && mapping.variants.length >= 2 && !allItems.includes(mapping.variants[1].sku),
    )!;
    const refusedSku = withRefusedVariant.variants[1].sku;

    expect((await emulator.configure({ refuseRecords: [itemRefused, refusedSku] })).status).toBe(200);
    let status: RunStatus;
    try {
      status = await runProductsOrCategories('products');
    } finally {
      await emulator.configure({ refuseRecords: [] });
    }

    const unpublished = products.length - published.length;
    expect(status).toMatchObject({
      state: 'completed',
      counters: { read: products.length, failed: 2, skipped: unpublished },
    });
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect([...status.recentFailures!].sort(byId)).toStrictEqual(
      [
        {
          id: itemRefused,
          reason: stringMatching(
            /^Klaviyo refused the item create: invalid .+ at \/data\/attributes\/items\/data\/\d+\//,
          ),
        },
        {
          id: variantRefused,
          reason: stringMatching(
            /^Klaviyo refused the variant create: invalid .+ at \/data\/attributes\/variants\/data\/\d+\//,
          ),
        },
      ].sort(byId),
    );

    const items = (await emulator.records('catalog-items')).map((item) => item.id).sort();
    const variants = (await emulator.records('catalog-variants')).map((variant) => variant.id).sort();
    expect(items).toStrictEqual(
      published
        .filter(([id]) => id !== itemRefused)
        .map(([, mapping]) => mapping.item.id)
        .sort(),
    );
    expect(variants).toStrictEqual(
      published
        .filter(([id]) => id !== itemRefused)
        .flatMap(([, mapping]) =>
          mapping.variants.filter((variant) => variant.sku !== refusedSku).map((variant) => variant.id),
        )
        .sort(),
    );
    const landedItems = new Set(items);
    const landedVariants = new Set(variants);
    const landedProducts = published.filter(
      ([, mapping]) =>
        landedItems.has(mapping.item.id) && mapping.variants.every((variant) => landedVariants.has(variant.id)),
    ).length;
    expect(status.counters!.read).toBe(landedProducts + status.counters!.failed + status.counters!.skipped);
    expect(await emulator.rejected()).toStrictEqual([]);
  }, 120_000);
});
