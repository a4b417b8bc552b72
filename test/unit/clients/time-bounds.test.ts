import { timeBoundPredicates } from '../../../src/clients/commercetools/time-bounds';
import { keysetPages, type PageQuery } from '../../../src/clients/commercetools/keyset-pages';

describe('timeBoundPredicates', () => {
  it.each([
    [{}, []],
    [{ modifiedFrom: '2026-05-01T00:00:00.000Z' }, ['lastModifiedAt >= "2026-05-01T00:00:00.000Z"']],
    [{ createdFrom: '2026-02-01T00:00:00.000Z' }, ['createdAt >= "2026-02-01T00:00:00.000Z"']],
    [{ createdTo: '2026-05-01T00:00:00.000Z' }, ['createdAt < "2026-05-01T00:00:00.000Z"']],
    [
      { createdFrom: '2026-02-01T00:00:00.000Z', createdTo: '2026-05-01T00:00:00.000Z' },
      ['createdAt >= "2026-02-01T00:00:00.000Z"', 'createdAt < "2026-05-01T00:00:00.000Z"'],
    ],
  ])('%j gives %j', (bounds, expected) => {
    expect(timeBoundPredicates(bounds)).toEqual(expected);
  });

  it('goes beside the keyset predicates, which page in id order as ever', async () => {
    const queries: PageQuery[] = [];
    const fetchPage = (query: PageQuery) => {
      queries.push(query);
      return Promise.resolve(queries.length === 1 ? [{ id: 'a' }, { id: 'b' }] : []);
    };
    const where = timeBoundPredicates({ modifiedFrom: '2026-05-01T00:00:00.000Z' });
    for await (const _page of keysetPages(fetchPage, { beforeId: '8' }, { where, pageSize: 2 }));
    expect(queries.map((query) => [query.where, query.sort])).toEqual([
      [['lastModifiedAt >= "2026-05-01T00:00:00.000Z"', 'id < "8"'], 'id asc'],
      [['lastModifiedAt >= "2026-05-01T00:00:00.000Z"', 'id > "b"', 'id < "8"'], 'id asc'],
    ]);
  });
});
