import type { CommercetoolsClient } from '../../../src/clients/commercetools/commercetools-client';
import type { EffectiveRequest } from '../../../src/engine/importer';
import { recordTotals } from '../../../src/importers/record-totals';

/** A client whose count queries answer `count` and are recorded. */
function countingClient(count: number) {
  const queries: Array<{ resource: string; where: string[] }> = [];
  const client = {
    countRecords: (resource: string, where: string[]) => {
      queries.push({ resource, where });
      return Promise.resolve(count);
    },
  } as unknown as CommercetoolsClient;
  return { client, queries };
}

const signal = new AbortController().signal;

describe('recordTotals', () => {
  it.each<[string, EffectiveRequest, number, number | undefined, string[][]]>([
    ['a full import: every record, exactly', { mode: 'all' }, 25_000, 25_000, [[]]],
    ['a start id: the records from it on', { mode: 'startId', startId: 'b7' }, 9_999, 9_999, [['id >= "b7"']]],
    [
      'a start id that selects 10,000 or more: no total',
      { mode: 'startId', startId: 'b7' },
      10_000,
      undefined,
      [['id >= "b7"']],
    ],
    ['a list of ids: the distinct ids, without a query', { mode: 'ids', ids: ['a', 'b', 'a'] }, 0, 2, []],
    [
      'changes since a time: the records modified from it',
      { mode: 'since', since: 'lastRun', modifiedFrom: '2026-11-01T00:00:00.000Z' },
      120,
      120,
      [['lastModifiedAt >= "2026-11-01T00:00:00.000Z"']],
    ],
    [
      'a creation window: the records created in it',
      { mode: 'window', createdFrom: '2026-09-01T00:00:00.000Z', createdTo: '2026-10-01T00:00:00.000Z' },
      10_000,
      undefined,
      [['createdAt >= "2026-09-01T00:00:00.000Z"', 'createdAt < "2026-10-01T00:00:00.000Z"']],
    ],
    ['a deletion: no total', { mode: 'deleteAll' }, 0, undefined, []],
  ])('counts %s', async (_case, request, count, total, wheres) => {
    const { client, queries } = countingClient(count);
    expect(await recordTotals(client)('orders', request, signal)).toBe(total);
    expect(queries).toEqual(wheres.map((where) => ({ resource: 'orders', where })));
  });
});
