import { randomUUID } from 'node:crypto';
import {
  idListPages,
  keysetPages,
  splitIdSpace,
  type PageQuery,
} from '../../../src/clients/commercetools/keyset-pages';

/** A stand-in for a commercetools query endpoint over sorted records, honouring the where clauses keyset paging sends. */
function queryOver(ids: string[]) {
  const sorted = [...ids].sort();
  const queries: PageQuery[] = [];
  const fetchPage = async (query: PageQuery) => {
    queries.push(query);
    let records = sorted;
    for (const clause of query.where) {
      const comparison = /^id ([<>]) "(.*)"$/.exec(clause);
      const list = /^id in \((.*)\)$/.exec(clause);
      if (comparison)
        records = records.filter((id) => (comparison[1] === '>' ? id > comparison[2] : id < comparison[2]));
      else if (list) {
        const wanted = new Set(JSON.parse(`[${list[1]}]`) as string[]);
        records = records.filter((id) => wanted.has(id));
      } else throw new Error(`unexpected clause ${clause}`);
    }
    return records.slice(0, query.limit).map((id) => ({ id }));
  };
  return { fetchPage, queries };
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

describe('splitIdSpace', () => {
  it.each([1, 2, 3, 4, 7, 16])(
    'splits the id space into %i disjoint ranges that together hold every id',
    async (parts) => {
      const ids = Array.from({ length: 2_000 }, () => randomUUID());
      const ranges = splitIdSpace(parts);
      expect(ranges).toHaveLength(parts);
      const { fetchPage } = queryOver(ids);
      const perRange = await Promise.all(
        ranges.map((range) => collect(keysetPages(fetchPage, range, { pageSize: 97 }))),
      );
      const read = perRange.flat().map((record) => record.id);
      expect(read).toHaveLength(ids.length);
      expect(new Set(read)).toEqual(new Set(ids));
    },
  );
});

describe('keysetPages', () => {
  it('pages by id with limit and id > last id, and stops on a short page', async () => {
    const ids = Array.from({ length: 25 }, (_, index) => `id-${String(index).padStart(2, '0')}`);
    const { fetchPage, queries } = queryOver(ids);
    const pages: string[][] = [];
    for await (const page of keysetPages(fetchPage, {}, { pageSize: 10 })) pages.push(page.map((record) => record.id));
    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(queries.map((query) => query.where)).toEqual([[], ['id > "id-09"'], ['id > "id-19"']]);
    expect(queries.every((query) => query.sort === 'id asc' && query.withTotal === false)).toBe(true);
  });

  it('resumes after the committed id of a range', async () => {
    const { fetchPage } = queryOver(['a1', 'b2', 'c3', 'd4']);
    const read = await collect(keysetPages(fetchPage, { afterId: 'b2', beforeId: 'd' }));
    expect(read.map((record) => record.id)).toEqual(['c3']);
  });
});

describe('idListPages', () => {
  it('reads the listed ids in id order, once each, and reports the ones commercetools lacks', async () => {
    const { fetchPage } = queryOver(['a', 'b', 'c', 'd', 'e']);
    const missing: string[] = [];
    const read = await collect(idListPages(fetchPage, ['e', 'x', 'a', 'c', 'a'], {}, (id) => missing.push(id), 2));
    expect(read.map((record) => record.id)).toEqual(['a', 'c', 'e']);
    expect(missing).toEqual(['x']);
  });

  it('skips ids up to the range position when resuming', async () => {
    const { fetchPage } = queryOver(['a', 'b', 'c']);
    const read = await collect(idListPages(fetchPage, ['a', 'b', 'c'], { afterId: 'a' }, () => undefined));
    expect(read.map((record) => record.id)).toEqual(['b', 'c']);
  });
});
