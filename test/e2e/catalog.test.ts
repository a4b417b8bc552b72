/**
 * End to end: categories and products into the Klaviyo catalog, a second run after changes
 * in commercetools, and deleteAll; through the service's HTTP API as a user runs it (POST
 * /sync/<type> → 202, GET /sync/<type>/status until completed), against the sandbox (commercetools
 * mock and Klaviyo emulator in a child process, both over HTTP, the emulator validating every
 * request against Klaviyo's spec). Results are read from the emulator's inspection API, Klaviyo's
 * public catalog API on the emulator, and the commercetools sandbox.
 *
 * CATALOG_E2E_CATEGORIES and CATALOG_E2E_PRODUCTS set the generated catalog (default 500 and
 * 10,800; smaller values make quicker runs).
 */
import type { Category, CategoryUpdateAction, Product, ProductUpdateAction } from '@commercetools/platform-sdk';
import { catalogId } from '../../src/mappers/catalog-ids';
import { mapCatalogProduct } from '../../src/mappers/catalog-product';
import {
  emulatorInspector,
  http,
  klaviyoApiGet,
  runImport,
  startService,
  waitForState,
  type HttpAnswer,
  type RunningService,
} from '../support/service-harness';
import { commercetoolsRequest, readAllRecords, startSandbox, type RunningSandbox } from '../support/sandbox-process';
import type { RunStatus, SyncAnswer } from '../support/service-answers';
import type { CatalogResource, Identifier, ResourcePage } from '../support/klaviyo-answers';
import { stringContaining } from '../support/matchers';

// The catalog must hold at least 500 categories, 5,000 products and 20,000 variants; the generator gives
// about 1.9 published variants per product, hence 10,800 products. The variables make quicker runs.
const categoryCount = Number(process.env.CATALOG_E2E_CATEGORIES ?? 500);
const productCount = Number(process.env.CATALOG_E2E_PRODUCTS ?? 10_800);
const productUrlTemplate = 'https://shop.example.com/p/{{productSlug}}';
/** How long one import may take before the status poll gives up. */
const runTimeoutMs = Math.max(120_000, (categoryCount + productCount) * 100);

let sandbox: RunningSandbox;
let service: RunningService;
let emulator: ReturnType<typeof emulatorInspector>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 5, categories: categoryCount, products: productCount, startTimeoutMs: 180_000 });
  emulator = emulatorInspector(sandbox.klaviyoUrl!);
  service = await startService(sandbox.env, { extraEnv: { PRODUCT_URL_TEMPLATE: productUrlTemplate } });
}, 240_000);

afterAll(async () => {
  await service?.close();
  await sandbox?.stop();
});

/** Starts an import over HTTP (202) and polls its status until it ends. */
async function runCatalogImport(type: 'categories' | 'products', body?: unknown): Promise<RunStatus> {
  const status = await runImport(service.url, type, body, runTimeoutMs);
  // The end state shows only once the lock is released: the next start may follow at once.
  expect(status.lock).toBeUndefined();
  return status;
}

/** Every record of a commercetools resource in the sandbox. */
function readAll<T extends { id: string }>(resource: string): Promise<T[]> {
  return readAllRecords<T>(sandbox, resource);
}

const readCategories = () => readAll<Category>('categories');
const readProducts = () => readAll<Product>('products');

/** camelCase SDK attributes in the snake_case form Klaviyo stores, without the identity Klaviyo keeps in the id. */
function wireForm(attributes: object): Record<string, unknown> {
  const { integrationType: _integration, catalogType: _catalog, ...rest } = attributes as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value]),
  );
}

interface ExpectedCatalog {
  categories: Map<string, Record<string, unknown>>;
  items: Map<string, Record<string, unknown>>;
  variants: Map<string, Record<string, unknown>>;
  /** Item ids by category id: each item is in its categories and all their ancestors. */
  itemsByCategory: Map<string, string[]>;
  unpublishedProductIds: string[];
}

/**
 * What the catalog must hold for the commercetools data as it is now, worked out independently of
 * the importers: paths and ancestors are walked up through `parent` (the importers read `ancestors`),
 * item and variant attributes come from the mapper (table-tested on its own).
 */
async function expectedCatalog(): Promise<ExpectedCatalog> {
  const categories = new Map((await readCategories()).map((category) => [category.id, category]));
  const lineage = (id: string): Category[] => {
    const chain: Category[] = [];
    for (let category = categories.get(id); category; category = category.parent && categories.get(category.parent.id))
      chain.unshift(category);
    return chain;
  };
  const expected: ExpectedCatalog = {
    categories: new Map(),
    items: new Map(),
    variants: new Map(),
    itemsByCategory: new Map(),
    unpublishedProductIds: [],
  };
  for (const category of categories.values()) {
    const name = lineage(category.id)
      .map((step) => step.name.en)
      .join(' > ');
    expected.categories.set(catalogId(category.id), { external_id: category.id, name });
    expected.itemsByCategory.set(catalogId(category.id), []);
  }
  for (const product of await readProducts()) {
    if (!product.masterData.published) {
      expected.unpublishedProductIds.push(product.id);
      continue;
    }
    // Price validity in the generated data is days away from now, so the service's clock and this one agree.
    const mapping = mapCatalogProduct(product, {
      productUrlTemplate,
      now: new Date(),
      categoryById: (id) => categories.get(id),
    });
    expected.items.set(mapping.item.id, wireForm(mapping.item.create.attributes));
    for (const variant of mapping.variants)
      expected.variants.set(variant.id, { ...wireForm(variant.create.attributes), item: mapping.item.id });
    const inCategories = new Set(
      product.masterData.current.categories.flatMap((reference) => lineage(reference.id).map((step) => step.id)),
    );
    for (const id of inCategories) expected.itemsByCategory.get(catalogId(id))!.push(mapping.item.id);
  }
  return expected;
}

/** Every record holds exactly the expected ids, and each expected field has the expected value. */
function expectRecords(actual: CatalogResource[], expected: Map<string, Record<string, unknown>>): void {
  expect(actual.map((record) => record.id).sort()).toStrictEqual([...expected.keys()].sort());
  const mismatches: unknown[] = [];
  for (const record of actual) {
    for (const [field, value] of Object.entries(expected.get(record.id)!)) {
      const actualValue =
        field === 'item' ? (record.relationships!.item.data as Identifier).id : record.attributes[field];
      if (JSON.stringify(actualValue) !== JSON.stringify(value))
        mismatches.push({ id: record.id, field, actual: actualValue, expected: value });
    }
  }
  expect(mismatches.slice(0, 5)).toStrictEqual([]);
}

/** The items Klaviyo lists in each category, asked through its public API as a client would. */
async function itemsByCategory(categoryIds: Iterable<string>): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const categoryId of categoryIds) {
    const ids: string[] = [];
    let url: string | undefined =
      `/api/catalog-items?filter=${encodeURIComponent(`equals(category.id,${JSON.stringify(categoryId)})`)}`;
    while (url) {
      const { status, body }: HttpAnswer<ResourcePage> = await klaviyoApiGet(sandbox.env, url);
      expect(status).toBe(200);
      ids.push(...body.data.map((item) => item.id));
      url = body.links?.next ?? undefined;
    }
    found.set(categoryId, ids.sort());
  }
  return found;
}

async function expectCatalogMatches(
  expected: ExpectedCatalog,
  extraItems = new Map<string, Record<string, unknown>>(),
  extraVariants = new Map<string, Record<string, unknown>>(),
) {
  expectRecords(await emulator.records('catalog-categories'), expected.categories);
  expectRecords(await emulator.records('catalog-items'), new Map([...expected.items, ...extraItems]));
  expectRecords(await emulator.records('catalog-variants'), new Map([...expected.variants, ...extraVariants]));
  const wanted = new Map([...expected.itemsByCategory].map(([id, items]) => [id, [...items].sort()]));
  expect(await itemsByCategory(wanted.keys())).toStrictEqual(wanted);
}

/** Requests by operation since `before`, for operations that changed. */
function operationDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).flatMap(([operation, count]) =>
      count !== (before[operation] ?? 0) ? [[operation, count - (before[operation] ?? 0)]] : [],
    ),
  );
}

/** Applies update actions as a commercetools client does: read the version, then POST the actions. */
async function update(
  resource: 'categories' | 'products',
  id: string,
  actions: CategoryUpdateAction[] | ProductUpdateAction[],
): Promise<void> {
  const current = await commercetoolsRequest<{ version: number }>(sandbox, 'GET', `/${resource}/${id}`);
  expect(current.status).toBe(200);
  const updated = await commercetoolsRequest(sandbox, 'POST', `/${resource}/${id}`, {
    version: current.body.version,
    actions,
  });
  if (updated.status !== 200)
    throw new Error(`update ${resource}/${id}: ${updated.status} ${JSON.stringify(updated.body)}`);
}

describe('categories and products into the Klaviyo catalog', () => {
  let first: ExpectedCatalog;

  // The importers build paths from `ancestors`, which commercetools lists root first. When this
  // fails, the sandbox answers them in another order and the path names below fail with it.
  it("the commercetools sandbox lists a category's ancestors root first, as commercetools does", async () => {
    const byKey = new Map((await readCategories()).map((category) => [category.key, category]));
    const [root, child, grandchild] = ['category-0', 'category-1', 'category-2'].map((key) => byKey.get(key)!);
    expect(grandchild.ancestors.map((ancestor) => ancestor.id)).toStrictEqual([root.id, child.id]);
  });

  it(
    'imports every category and every published product, each field as mapped, through bulk jobs only',
    async () => {
      first = await expectedCatalog();
      const categories = await runCatalogImport('categories');
      expect(categories).toMatchObject({
        state: 'completed',
        mode: 'all',
        counters: { read: categoryCount, failed: 0, skipped: 0, succeeded: categoryCount },
      });
      const products = await runCatalogImport('products', {});
      expect(products).toMatchObject({ state: 'completed', mode: 'all' });
      expect(products.counters).toMatchObject({
        read: productCount,
        failed: 0,
        skipped: first.unpublishedProductIds.length,
        succeeded: first.items.size + first.variants.size,
      });
      expect(first.unpublishedProductIds.length).toBeGreaterThan(0);
      // Taken before the checks below, which ask Klaviyo's API for the items of each category.
      const stats = await emulator.stats();

      await expectCatalogMatches(first);
      expect(stats.rejected).toBe(0);
      expect(await emulator.rejected()).toStrictEqual([]);
      const catalogWrites = Object.keys(stats.requests.byOperation).filter(
        (operation) => /catalog/.test(operation) && !operation.startsWith('get_'),
      );
      expect(catalogWrites.sort()).toStrictEqual([
        'bulk_create_catalog_categories',
        'bulk_create_catalog_items',
        'bulk_create_catalog_variants',
      ]);
      // Every job within Klaviyo's 100 records, each record in one job, and jobs mostly full.
      const jobs = await emulator.records('jobs');
      const recordsIn = (type: string) =>
        jobs.filter((job) => job.type === type).map((job) => job.attributes.total_count);
      for (const [type, expectedRecords] of [
        ['catalog-category-bulk-create-job', categoryCount],
        ['catalog-item-bulk-create-job', first.items.size],
        ['catalog-variant-bulk-create-job', first.variants.size],
      ] as const) {
        const counts = recordsIn(type);
        expect(Math.max(...counts)).toBeLessThanOrEqual(100);
        expect(counts.reduce((sum, count) => sum + count, 0)).toBe(expectedRecords);
        expect(counts.length).toBeLessThanOrEqual(Math.ceil(expectedRecords / 100) * 1.5);
      }
      process.stdout.write(
        `catalog e2e first run: ${categoryCount} categories in ${categories.elapsedSeconds} s, ${productCount} products ` +
          `(${first.items.size} items, ${first.variants.size} variants) in ${products.elapsedSeconds} s; Klaviyo requests ` +
          `${JSON.stringify(stats.requests.byOperation)}\n`,
      );
    },
    runTimeoutMs * 2,
  );

  it(
    'a second run after changes updates and deletes what changed and creates nothing',
    async () => {
      const categories = await readCategories();
      const products = await readProducts();
      // The root of the generated chain: its descendants' paths change with it.
      const renamed = categories.find((category) => category.key === 'category-0')!;
      const descendants = categories.filter((category) =>
        category.ancestors.some((ancestor) => ancestor.id === renamed.id),
      );
      await update('categories', renamed.id, [{ action: 'changeName', name: { en: 'Renamed', de: 'Umbenannt' } }]);

      const published = products.filter(
        (product) => product.masterData.published && !product.masterData.hasStagedChanges,
      );
      const repriced = published.find(
        (product) => (product.masterData.current.masterVariant.prices ?? []).length === 3,
      )!;
      const listPrice = repriced.masterData.current.masterVariant.prices![0];
      const newPrice = {
        type: 'centPrecision' as const,
        currencyCode: listPrice.value.currencyCode,
        centAmount: 12_345,
        fractionDigits: 2,
      };
      await update('products', repriced.id, [
        { action: 'changePrice', priceId: listPrice.id, price: { value: newPrice }, staged: false },
      ]);

      const trimmed = published.find(
        (product) => product.id !== repriced.id && product.masterData.current.variants.length >= 1,
      )!;
      const removedVariant = trimmed.masterData.current.variants[0];
      await update('products', trimmed.id, [{ action: 'removeVariant', id: removedVariant.id, staged: false }]);

      const unpublished = published.find((product) => product.id !== repriced.id && product.id !== trimmed.id)!;
      await update('products', unpublished.id, [{ action: 'unpublish' }]);

      const before = (await emulator.stats()).requests.byOperation;
      const categoryRun = await runCatalogImport('categories');
      // A second start while the products import runs is refused and leaves the run alone.
      const productStart = await http<SyncAnswer>(`${service.url}/sync/products`, 'POST');
      expect(productStart.status).toBe(202);
      const secondStart = await http<SyncAnswer>(`${service.url}/sync/products`, 'POST');
      expect(secondStart.status).toBe(423);
      expect(secondStart.body.message).toContain('already running');
      const productRun = await waitForState(service.url, 'products', ['completed', 'failed', 'stopped'], runTimeoutMs);
      expect(productRun.lock).toBeUndefined();
      expect(productRun.runId).toBe(productStart.body.runId);
      const delta = operationDelta(before, (await emulator.stats()).requests.byOperation);

      expect(categoryRun).toMatchObject({
        state: 'completed',
        counters: {
          read: categoryCount,
          failed: 0,
          succeeded: 1 + descendants.length,
          skipped: categoryCount - 1 - descendants.length,
        },
      });
      expect(productRun).toMatchObject({ state: 'completed', counters: { read: productCount, failed: 0 } });
      process.stdout.write(
        `catalog e2e second run: categories in ${categoryRun.elapsedSeconds} s, products in ${productRun.elapsedSeconds} s; ` +
          `Klaviyo requests ${JSON.stringify(delta)}\n`,
      );
      expect(Object.keys(delta).filter((operation) => operation.startsWith('bulk_create'))).toStrictEqual([]);
      // The renamed category and every category below it, in as few jobs of 100 as they fill (one at the default size).
      expect(delta).toMatchObject({
        bulk_update_catalog_categories: Math.ceil((1 + descendants.length) / 100),
        bulk_delete_catalog_variants: 1,
      });
      // Writes are bulk jobs only: updates and deletes, nothing one record at a time.
      const writes = Object.keys(delta).filter((operation) => !operation.startsWith('get_'));
      expect(
        writes.filter((operation) => !/^bulk_(update|delete)_catalog_(categories|items|variants)$/.test(operation)),
      ).toStrictEqual([]);
      expect(delta.bulk_update_catalog_items).toBeGreaterThan(0);
      expect(delta.bulk_update_catalog_variants).toBeGreaterThan(0);

      const second = await expectedCatalog();
      expect(second.categories.get(catalogId(renamed.id))!.name).toBe('Renamed');
      expect(second.items.get(catalogId(repriced.id))!.price).toBe(123.45);
      expect(second.variants.has(catalogId(removedVariant.sku!))).toBe(false);
      expect(second.items.has(catalogId(unpublished.id))).toBe(false);
      // The unpublished product stays in Klaviyo, marked unpublished with its variants.
      const unpublishedItemId = catalogId(unpublished.id);
      const keptItem = new Map([[unpublishedItemId, { ...first.items.get(unpublishedItemId), published: false }]]);
      const keptVariants = new Map(
        [...first.variants]
          .filter(([, variant]) => variant.item === unpublishedItemId)
          .map(([id, variant]) => [id, { ...variant, published: false }]),
      );
      expect(keptVariants.size).toBeGreaterThan(0);
      // Klaviyo keeps the unpublished item in its categories, as they were.
      for (const [categoryId, items] of first.itemsByCategory) {
        if (items.includes(unpublishedItemId)) second.itemsByCategory.get(categoryId)!.push(unpublishedItemId);
      }
      await expectCatalogMatches(second, keptItem, keptVariants);
      expect(await emulator.rejected()).toStrictEqual([]);
      expect((await emulator.stats()).rejected).toBe(0);
    },
    runTimeoutMs * 2,
  );

  it('refuses deleteAll without its confirmation with 400 and deletes nothing', async () => {
    const before = await emulator.stats();
    const statusBefore = {
      products: await http<RunStatus>(`${service.url}/sync/products/status`),
      categories: await http<RunStatus>(`${service.url}/sync/categories/status`),
    };
    expect(before.records.catalogItems).toBeGreaterThan(0);
    expect(before.records.catalogCategories).toBe(categoryCount);
    for (const [type, body] of [
      ['products', { deleteAll: true }],
      ['products', { deleteAll: true, confirmDeletion: 'categories' }],
      ['products', { deleteAll: true, confirmDeletion: 'yes' }],
      ['categories', { deleteAll: true }],
      ['categories', { deleteAll: true, confirmDeletion: 'products' }],
    ] as const) {
      const refused = await http<SyncAnswer>(`${service.url}/sync/${type}`, 'POST', body);
      expect({ type, body, status: refused.status }).toStrictEqual({ type, body, status: 400 });
      expect(refused.body.problems).toStrictEqual([
        { field: 'confirmDeletion', message: stringContaining(`must be "${type}"`) },
      ]);
    }
    // No run started, and nothing was deleted or even listed for deletion.
    expect((await http<RunStatus>(`${service.url}/sync/products/status`)).body.runId).toBe(
      statusBefore.products.body.runId,
    );
    expect((await http<RunStatus>(`${service.url}/sync/categories/status`)).body.runId).toBe(
      statusBefore.categories.body.runId,
    );
    const after = await emulator.stats();
    expect(after.records).toStrictEqual(before.records);
    expect(operationDelta(before.requests.byOperation, after.requests.byOperation)).toStrictEqual({});
  });

  it(
    'deleteAll empties the catalog with bulk delete jobs, products first, then categories',
    async () => {
      const before = (await emulator.stats()).requests.byOperation;
      const products = await runCatalogImport('products', { deleteAll: true, confirmDeletion: 'products' });
      expect(products).toMatchObject({ state: 'completed', mode: 'deleteAll', counters: { failed: 0 } });
      expect((await emulator.stats()).records).toMatchObject({ catalogItems: 0, catalogVariants: 0 });
      const categories = await runCatalogImport('categories', { deleteAll: true, confirmDeletion: 'categories' });
      expect(categories).toMatchObject({
        state: 'completed',
        mode: 'deleteAll',
        counters: { failed: 0, read: categoryCount },
      });

      const stats = await emulator.stats();
      expect(stats.records).toMatchObject({ catalogItems: 0, catalogVariants: 0, catalogCategories: 0 });
      const writes = Object.keys(operationDelta(before, stats.requests.byOperation)).filter(
        (operation) => !operation.startsWith('get_'),
      );
      expect(writes.sort()).toStrictEqual([
        'bulk_delete_catalog_categories',
        'bulk_delete_catalog_items',
        'bulk_delete_catalog_variants',
      ]);
      expect(stats.rejected).toBe(0);
      expect(await emulator.rejected()).toStrictEqual([]);
    },
    runTimeoutMs * 2,
  );
});
