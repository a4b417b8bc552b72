import type { Category } from '@commercetools/platform-sdk';
import type { CommercetoolsClient } from '../../../src/clients/commercetools/commercetools-client';
import { CategoryCache } from '../../../src/clients/commercetools/category-cache';
import type { PageQuery } from '../../../src/clients/commercetools/keyset-pages';

/** Ids c00 … c11, served in id order the way commercetools answers a keyset query (`id > "…"`, limit). */
const ids = Array.from({ length: 12 }, (_, index) => `c${String(index).padStart(2, '0')}`);

/** Serves the categories as stored, in one page. */
function storedClient(categories: Category[]): CommercetoolsClient {
  return { queryPage: () => () => Promise.resolve(categories) } as unknown as CommercetoolsClient;
}

function category(id: string, ancestorIds: string[], lastModifiedAt: string): Category {
  return {
    id,
    ancestors: ancestorIds.map((ancestor) => ({ typeId: 'category', id: ancestor })),
    lastModifiedAt,
  } as Category;
}

function categoriesClient(): CommercetoolsClient {
  const fetchPage = async (query: PageQuery) => {
    const after = query.where.map((predicate) => /^id > "(.*)"$/.exec(predicate)?.[1]).find(Boolean);
    return ids
      .filter((id) => after === undefined || id > after)
      .slice(0, query.limit)
      .map((id) => ({ id }) as Category);
  };
  return { queryPage: () => fetchPage } as unknown as CommercetoolsClient;
}

async function pagesOf(
  cache: CategoryCache,
  range: { afterId?: string; beforeId?: string },
  pageSize: number,
): Promise<string[][]> {
  const pages: string[][] = [];
  for await (const page of cache.pages(range, undefined, pageSize)) pages.push(page.map((category) => category.id));
  return pages;
}

describe('CategoryCache.pages', () => {
  it.each([
    [
      'every category',
      {},
      [
        ['c00', 'c01', 'c02', 'c03', 'c04'],
        ['c05', 'c06', 'c07', 'c08', 'c09'],
        ['c10', 'c11'],
      ],
    ],
    ['after a checkpoint, excluding its id', { afterId: 'c08' }, [['c09', 'c10', 'c11']]],
    ['inside a range', { afterId: 'c02', beforeId: 'c05' }, [['c03', 'c04']]],
    ['nothing after the last id', { afterId: 'c11' }, []],
  ])('%s', async (_name, range, expected) => {
    const cache = await CategoryCache.load(categoriesClient());
    expect(cache.size).toBe(12);
    expect(await pagesOf(cache, range, 5)).toEqual(expected);
  });
});

describe('CategoryCache.changedSince', () => {
  it("takes a category whose own or an ancestor's change is at or after the time, as its path changed", async () => {
    const before = '2026-04-30T23:59:59.999Z';
    const at = '2026-05-01T00:00:00.000Z';
    const cache = await CategoryCache.load(
      storedClient([
        category('root', [], at),
        category('child', ['root'], before),
        category('other-root', [], before),
        category('other-child', ['other-root'], before),
        category('orphan', ['deleted'], before),
      ]),
    );
    const changed = ['root', 'child', 'other-root', 'other-child', 'orphan'].filter((id) =>
      cache.changedSince(cache.byId(id)!, at),
    );
    expect(changed).toEqual(['root', 'child']);
  });

  it('keeps to what `include` takes when paging', async () => {
    const cache = await CategoryCache.load(categoriesClient());
    const pages: string[][] = [];
    for await (const page of cache.pages({}, (entry) => entry.id.endsWith('1'), 2))
      pages.push(page.map((entry) => entry.id));
    expect(pages).toEqual([['c01', 'c11']]);
  });
});

describe('CategoryCache.listedPages', () => {
  it('gives the listed categories in id order, each once, after a checkpoint, and names the ids it does not have', async () => {
    const cache = await CategoryCache.load(categoriesClient());
    const missing: string[] = [];
    const listed = ['c07', 'c01', 'gone', 'c09', 'c01', 'c03', 'c11'];
    const pages = [...cache.listedPages(listed, { afterId: 'c02' }, (id) => missing.push(id), 2)].map((page) =>
      page.map((category) => category.id),
    );
    expect(pages).toEqual([
      ['c03', 'c07'],
      ['c09', 'c11'],
    ]);
    expect(missing).toEqual(['gone']);
  });
});
