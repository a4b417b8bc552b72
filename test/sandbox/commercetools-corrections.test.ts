/**
 * The deviations of @labdigital/commercetools-mock (three in facts.md, a fourth found by the
 * catalog end-to-end test) and their corrections, each
 * shown on the raw mock and on the corrected sandbox. When a "raw mock" expectation fails after
 * upgrading the mock, the mock has been fixed there and that correction can go.
 */
import {
  type RunningSandbox,
  commercetoolsRequest,
  resetCommercetools,
  seed,
  startSandbox,
} from '../support/sandbox-process';
import { anyOf } from '../support/matchers';

type Paged<T> = { results: T[]; count: number; total?: number; offset: number; limit: number };
type Resource = { id: string; createdAt: string; version: number };
type CategoryRef = { id: string; obj?: { name: { en: string }; ancestors: CategoryRef[] } };
type ExpandedProduct = {
  masterData: { current: { categories: CategoryRef[] }; staged: { categories: CategoryRef[] } };
};

let raw: RunningSandbox;
let corrected: RunningSandbox;

beforeAll(async () => {
  [raw, corrected] = await Promise.all([
    startSandbox({ withoutKlaviyo: true, rawMock: true }),
    startSandbox({ withoutKlaviyo: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([raw?.stop(), corrected?.stop()]);
});

const query = (sandbox: RunningSandbox, resource: string, params: Array<[string, string]>) =>
  commercetoolsRequest<Paged<Resource>>(sandbox, 'GET', `/${resource}?${new URLSearchParams(params).toString()}`);

const byIdAsc = (a: Resource, b: Resource) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byCreatedAtDescThenId = (a: Resource, b: Resource) =>
  a.createdAt !== b.createdAt ? (a.createdAt > b.createdAt ? -1 : 1) : byIdAsc(a, b);

describe('deviation 1: sort on customers, orders, categories and products', () => {
  const sizes = { seed: 'sort', customers: 60, orders: 120, categories: 12, products: 40 };

  beforeAll(async () => {
    await Promise.all([seed(raw, sizes), seed(corrected, sizes)]);
  });

  test('raw mock: sort is ignored, results come in insertion order', async () => {
    const unsorted = await query(raw, 'customers', [['limit', '500']]);
    const sorted = await query(raw, 'customers', [
      ['sort', 'id asc'],
      ['limit', '500'],
    ]);
    expect(sorted.body.results.map((c) => c.id)).toEqual(unsorted.body.results.map((c) => c.id));
    expect(sorted.body.results.map((c) => c.id)).not.toEqual([...sorted.body.results].sort(byIdAsc).map((c) => c.id));
  });

  test.each(['customers', 'orders', 'categories', 'products'])(
    'corrected: %s sort by id asc and desc',
    async (resource) => {
      const all = (await query(corrected, resource, [['limit', '500']])).body.results;
      const ascending = await query(corrected, resource, [
        ['sort', 'id asc'],
        ['limit', '500'],
      ]);
      const descending = await query(corrected, resource, [
        ['sort', 'id desc'],
        ['limit', '500'],
      ]);
      const expected = [...all].sort(byIdAsc).map((r) => r.id);
      expect(ascending.body.results.map((r) => r.id)).toEqual(expected);
      expect(descending.body.results.map((r) => r.id)).toEqual([...expected].reverse());
    },
  );

  test('corrected: two clauses, createdAt desc then id asc, break createdAt ties by id', async () => {
    const all = (await query(corrected, 'orders', [['limit', '500']])).body.results;
    const ties = all.filter((order) => all.some((other) => other !== order && other.createdAt === order.createdAt));
    expect(ties.length).toBeGreaterThan(0);
    const sorted = await query(corrected, 'orders', [
      ['sort', 'createdAt desc'],
      ['sort', 'id asc'],
      ['limit', '500'],
    ]);
    expect(sorted.body.results.map((o) => o.id)).toEqual([...all].sort(byCreatedAtDescThenId).map((o) => o.id));
  });

  test('corrected: keyset page, where id > last, with limit, offset and withTotal=false', async () => {
    const expected = (
      await query(corrected, 'orders', [
        ['sort', 'id asc'],
        ['limit', '500'],
      ])
    ).body.results.map((o) => o.id);
    const after = expected[9];
    const page = await query(corrected, 'orders', [
      ['where', `id > "${after}"`],
      ['sort', 'id asc'],
      ['limit', '25'],
      ['offset', '5'],
      ['withTotal', 'false'],
    ]);
    expect(page.body.results.map((o) => o.id)).toEqual(expected.slice(15, 40));
    expect(page.body).toMatchObject({ count: 25, limit: 25, offset: 5 });
    expect(page.body).not.toHaveProperty('total');

    const withTotal = await query(corrected, 'orders', [
      ['where', `id > "${after}"`],
      ['sort', 'id asc'],
      ['limit', '25'],
    ]);
    expect(withTotal.body.total).toBe(expected.length - 10);
  });

  test('corrected: a reader range page, lower and upper bounds on ids that are not stored, and an exact id', async () => {
    const expected = (
      await query(corrected, 'orders', [
        ['sort', 'id asc'],
        ['limit', '500'],
      ])
    ).body.results.map((o) => o.id);
    // Just below the 6th id and just below the 31st: ids 6 to 30 are in range.
    const below = (id: string) => id.slice(0, -1);
    const page = await query(corrected, 'orders', [
      ['where', `id >= "${below(expected[5])}"`],
      ['where', `id < "${below(expected[30])}"`],
      ['sort', 'id asc'],
      ['limit', '500'],
      ['withTotal', 'false'],
    ]);
    expect(page.body.results.map((o) => o.id)).toEqual(expected.slice(5, 30));
    const exact = await query(corrected, 'orders', [
      ['where', `id = "${expected[12]}"`],
      ['sort', 'id asc'],
    ]);
    expect(exact.body.results.map((o) => o.id)).toEqual([expected[12]]);
  });

  test('corrected: where id in (...) with sort desc', async () => {
    const ids = (await query(corrected, 'customers', [['limit', '7']])).body.results.map((c) => c.id);
    const page = await query(corrected, 'customers', [
      ['where', `id in (${ids.map((id) => `"${id}"`).join(', ')})`],
      ['sort', 'id desc'],
    ]);
    expect(page.body.results.map((c) => c.id)).toEqual([...ids].sort().reverse());
  });

  test('corrected: other predicates (published products) go through the mock engine, still sorted', async () => {
    const all = (await query(corrected, 'products', [['limit', '500']])).body.results as unknown as Array<
      Resource & { masterData: { published: boolean } }
    >;
    const published = all.filter((p) => p.masterData.published).sort(byIdAsc);
    expect(published.length).toBeGreaterThan(0);
    expect(published.length).toBeLessThan(all.length);
    const page = await query(corrected, 'products', [
      ['where', 'masterData(published = true)'],
      ['where', `id > "${published[2].id}"`],
      ['sort', 'id asc'],
      ['limit', '500'],
      ['withTotal', 'false'],
    ]);
    expect(page.body.results.map((p) => p.id)).toEqual(published.slice(3).map((p) => p.id));
  });

  test('corrected: limit above 500 and offset above 10,000 are refused like the API does', async () => {
    expect((await query(corrected, 'orders', [['limit', '501']])).status).toBe(400);
    expect((await query(corrected, 'orders', [['offset', '10001']])).status).toBe(400);
  });

  test('corrected: a record created through the API joins the sorted order', async () => {
    const created = await commercetoolsRequest<Resource>(corrected, 'POST', '/customers', {
      email: 'sorted.newcomer@example.com',
      password: 'not-a-secret',
    });
    expect(created.status).toBe(201);
    const all = await query(corrected, 'customers', [
      ['sort', 'id asc'],
      ['limit', '500'],
    ]);
    const ids = all.body.results.map((c) => c.id);
    expect(ids).toContain((created.body as unknown as { customer: Resource }).customer.id);
    expect(ids).toEqual([...ids].sort());
  });
});

describe('deviation 2: custom object draft with a version', () => {
  const lock = (version: number) => ({
    container: 'bulk-import-locks',
    key: 'orders',
    value: { owner: `v${version}` },
    version,
  });

  beforeAll(async () => {
    await Promise.all([resetCommercetools(raw), resetCommercetools(corrected)]);
  });

  test('raw mock: version 0 overwrites an existing object', async () => {
    expect((await commercetoolsRequest(raw, 'POST', '/custom-objects', lock(0))).status).toBe(201);
    const second = await commercetoolsRequest<{ value: unknown }>(raw, 'POST', '/custom-objects', {
      ...lock(0),
      value: { owner: 'other' },
    });
    expect(second.status).toBe(201);
    expect(second.body.value).toEqual({ owner: 'other' });
  });

  test('corrected: version 0 creates only when absent, else 409 ConcurrentModification', async () => {
    const first = await commercetoolsRequest<{ version: number }>(corrected, 'POST', '/custom-objects', lock(0));
    expect(first.status).toBe(201);
    const second = await commercetoolsRequest(corrected, 'POST', '/custom-objects', {
      ...lock(0),
      value: { owner: 'other' },
    });
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      statusCode: 409,
      message: anyOf(String),
      errors: [{ code: 'ConcurrentModification', message: anyOf(String), currentVersion: first.body.version }],
    });
    const stored = await commercetoolsRequest<{ value: unknown }>(
      corrected,
      'GET',
      '/custom-objects/bulk-import-locks/orders',
    );
    expect(stored.body.value).toEqual({ owner: 'v0' });
  });

  test('corrected: version N must match the existing version', async () => {
    const current = await commercetoolsRequest<{ version: number }>(
      corrected,
      'GET',
      '/custom-objects/bulk-import-locks/orders',
    );
    const stale = await commercetoolsRequest(corrected, 'POST', '/custom-objects', lock(current.body.version + 1));
    expect(stale.status).toBe(409);
    const matching = await commercetoolsRequest<{ version: number; value: unknown }>(
      corrected,
      'POST',
      '/custom-objects',
      lock(current.body.version),
    );
    expect(matching.status).toBe(201);
    expect(matching.body).toMatchObject({
      version: current.body.version + 1,
      value: { owner: `v${current.body.version}` },
    });
  });
});

describe('deviation 3: expanding category ancestors on products', () => {
  const expand = 'masterData.current.categories[*].ancestors[*]';

  /** root > child > leaf, all created through the API, and a product in the leaf. */
  async function createTreeAndProduct(sandbox: RunningSandbox) {
    await resetCommercetools(sandbox);
    const category = async (name: string, parentId?: string) =>
      (
        await commercetoolsRequest<Resource>(sandbox, 'POST', '/categories', {
          name: { en: name },
          slug: { en: name.toLowerCase() },
          parent: parentId ? { typeId: 'category', id: parentId } : undefined,
        })
      ).body;
    const root = await category('Root');
    const child = await category('Child', root.id);
    const leaf = await category('Leaf', child.id);
    const productType = await commercetoolsRequest<Resource>(sandbox, 'POST', '/product-types', {
      name: 'plain',
      description: 'plain',
    });
    const product = await commercetoolsRequest<Resource>(sandbox, 'POST', '/products', {
      productType: { typeId: 'product-type', id: productType.body.id },
      name: { en: 'Thing' },
      slug: { en: 'thing' },
      categories: [{ typeId: 'category', id: leaf.id }],
      masterVariant: { sku: 'thing-1' },
      publish: true,
    });
    return { root, child, leaf, productId: product.body.id };
  }

  const expandedLeaf = async (sandbox: RunningSandbox, productId: string) => {
    const product = await commercetoolsRequest<ExpandedProduct>(
      sandbox,
      'GET',
      `/products/${productId}?expand=${encodeURIComponent(expand)}`,
    );
    return product.body.masterData.current.categories[0].obj!;
  };

  test('raw mock: the expanded category has no ancestors', async () => {
    const { productId } = await createTreeAndProduct(raw);
    expect((await expandedLeaf(raw, productId)).ancestors).toEqual([]);
  });

  test('corrected: the expanded category carries its ancestors, root first, expanded too', async () => {
    const { root, child, productId } = await createTreeAndProduct(corrected);
    const leaf = await expandedLeaf(corrected, productId);
    expect(leaf.ancestors.map((a) => a.id)).toEqual([root.id, child.id]);
    expect(leaf.ancestors.map((a) => a.obj?.name.en)).toEqual(['Root', 'Child']);

    const listed = await commercetoolsRequest<Paged<ExpandedProduct>>(
      corrected,
      'GET',
      `/products?expand=${encodeURIComponent(expand)}&expand=${encodeURIComponent('masterData.staged.categories[*].ancestors[*]')}`,
    );
    const [product] = listed.body.results;
    expect(product.masterData.current.categories[0].obj!.ancestors.map((a) => a.id)).toEqual([root.id, child.id]);
    expect(product.masterData.staged.categories[0].obj!.ancestors.map((a) => a.id)).toEqual([root.id, child.id]);
  });

  test('corrected: moving a category rewrites the ancestors of its subtree', async () => {
    const { child, productId } = await createTreeAndProduct(corrected);
    const newRoot = (
      await commercetoolsRequest<Resource>(corrected, 'POST', '/categories', {
        name: { en: 'Other' },
        slug: { en: 'other' },
      })
    ).body;
    const moved = await commercetoolsRequest(corrected, 'POST', `/categories/${child.id}`, {
      version: child.version,
      actions: [{ action: 'changeParent', parent: { typeId: 'category', id: newRoot.id } }],
    });
    expect(moved.status).toBe(200);
    const leaf = await expandedLeaf(corrected, productId);
    expect(leaf.ancestors.map((a) => a.id)).toEqual([newRoot.id, child.id]);
  });
});

describe('deviation 4: ancestor order on the category endpoint', () => {
  /** root > child > leaf, created through the API. */
  async function createTree(sandbox: RunningSandbox) {
    await resetCommercetools(sandbox);
    const ids: string[] = [];
    for (const name of ['Root', 'Child', 'Leaf']) {
      const parent = ids.length > 0 ? { typeId: 'category', id: ids[ids.length - 1] } : undefined;
      const created = await commercetoolsRequest<Resource>(sandbox, 'POST', '/categories', {
        name: { en: name },
        slug: { en: name.toLowerCase() },
        parent,
      });
      ids.push(created.body.id);
    }
    return ids;
  }

  const ancestorsOf = async (sandbox: RunningSandbox, leafId: string, expand = false) =>
    (
      await commercetoolsRequest<{ ancestors: CategoryRef[] }>(
        sandbox,
        'GET',
        `/categories/${leafId}${expand ? '?expand=ancestors%5B*%5D' : ''}`,
      )
    ).body.ancestors;

  test('raw mock: ancestors come parent first', async () => {
    const [root, child, leaf] = await createTree(raw);
    expect((await ancestorsOf(raw, leaf)).map((a) => a.id)).toEqual([child, root]);
  });

  test('corrected: ancestors come root first, by id, by query and expanded', async () => {
    const [root, child, leaf] = await createTree(corrected);
    expect((await ancestorsOf(corrected, leaf)).map((a) => a.id)).toEqual([root, child]);
    const expanded = await ancestorsOf(corrected, leaf, true);
    expect(expanded.map((a) => a.obj?.name.en)).toEqual(['Root', 'Child']);
    const listed = await commercetoolsRequest<Paged<Resource & { ancestors: CategoryRef[] }>>(
      corrected,
      'GET',
      `/categories?where=${encodeURIComponent(`id = "${leaf}"`)}`,
    );
    expect(listed.body.results[0].ancestors.map((a) => a.id)).toEqual([root, child]);
  });
});
