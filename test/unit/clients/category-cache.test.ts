import type { Category } from '@commercetools/platform-sdk';
import type { CommercetoolsClient } from '../../../src/clients/commercetools/commercetools-client';
import { CategoryCache } from '../../../src/clients/commercetools/category-cache';
import type { PageQuery } from '../../../src/clients/commercetools/keyset-pages';

/** Ids c00 … c11, served in id order the way commercetools answers a keyset query (`id > "…"`, limit). */
const ids = Array.from({ length: 12 }, (_, index) => `c${String(index).padStart(2, '0')}`);

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
  for await (const page of cache.pages(range, pageSize)) pages.push(page.map((category) => category.id));
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
