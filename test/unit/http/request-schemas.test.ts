import { InvalidRequest, parseStart, parseStartRequest } from '../../../src/http/request-schemas';

describe('parseStartRequest', () => {
  it.each([
    ['customers', undefined, { mode: 'all' }],
    ['customers', {}, { mode: 'all' }],
    ['customers', { ids: ['c1', 'c2'] }, { mode: 'ids', ids: ['c1', 'c2'] }],
    ['customers', { resume: true }, { mode: 'resume' }],
    ['orders', { startId: 'o5' }, { mode: 'startId', startId: 'o5' }],
    ['orders', { ids: ['o1'] }, { mode: 'ids', ids: ['o1'] }],
    ['categories', { deleteAll: true, confirmDeletion: 'categories' }, { mode: 'deleteAll' }],
    ['products', { deleteAll: true, confirmDeletetion: 'products' }, { mode: 'deleteAll' }],
    ['products', { deleteAll: false }, { mode: 'all' }],
    ['products', { since: 'lastRun' }, { mode: 'since', since: 'lastRun' }],
    ['categories', { since: '2026-05-01T02:00:00+02:00' }, { mode: 'since', since: '2026-05-01T00:00:00.000Z' }],
    ['customers', { since: '2026-05-01' }, { mode: 'since', since: '2026-05-01T00:00:00.000Z' }],
    ['orders', { createdFrom: '2026-05-01T00:00:00Z' }, { mode: 'window', createdFrom: '2026-05-01T00:00:00.000Z' }],
    ['customers', { createdTo: '2026-05-01T00:00:00.5Z' }, { mode: 'window', createdTo: '2026-05-01T00:00:00.500Z' }],
    [
      'orders',
      { createdFrom: '2026-02-01', createdTo: '2026-05-01' },
      { mode: 'window', createdFrom: '2026-02-01T00:00:00.000Z', createdTo: '2026-05-01T00:00:00.000Z' },
    ],
    ['customers', { retryFailed: true }, { mode: 'retryFailed', run: 'last' }],
    [
      'orders',
      { retryFailed: true, run: '5f0c1d2e-0000-4000-8000-000000000001' },
      { mode: 'retryFailed', run: '5f0c1d2e-0000-4000-8000-000000000001' },
    ],
    ['categories', { retryFailed: true, run: 'last' }, { mode: 'retryFailed', run: 'last' }],
    ['products', { retryFailed: true, deleteAll: false }, { mode: 'retryFailed', run: 'last' }],
  ] as const)('%s with %j starts %j', (type, body, expected) => {
    expect(parseStartRequest(type, body)).toEqual(expected);
  });

  it.each([
    ['customers', { id: ['c1'] }, 'id', 'is not a known field'],
    ['customers', { startId: 'c1' }, 'startId', 'is not a known field'],
    ['customers', { ids: [] }, 'ids', 'at least one id'],
    ['customers', { ids: 'c1' }, 'ids', 'expected array'],
    ['customers', { ids: ['c"1'] }, 'ids.0', 'quotes'],
    ['customers', { ids: ['c1'], resume: true }, 'resume', 'cannot be combined with ids'],
    ['customers', { resume: false }, 'resume', 'must be true'],
    ['customers', [1, 2], '(body)', 'JSON object'],
    ['orders', { ids: ['o1'], startId: 'o1' }, 'startId', 'cannot be combined with ids'],
    ['categories', { deleteAll: true }, 'confirmDeletion', 'every catalog category, whatever created them'],
    ['products', { deleteAll: true, confirmDeletion: 'categories' }, 'confirmDeletion', 'must be "products"'],
    ['products', { confirmDeletion: 'products' }, 'confirmDeletion', 'only goes with "deleteAll": true'],
    ['orders', { since: 'yesterday' }, 'since', 'must be "lastRun" or an ISO 8601 time'],
    ['orders', { since: '2026-05-01T00:00:00' }, 'since', 'with offset'],
    ['customers', { createdFrom: '2026-13-01' }, 'createdFrom', 'must be an ISO 8601 time'],
    ['customers', { createdTo: 20260501 }, 'createdTo', 'must be an ISO 8601 time'],
    ['orders', { createdFrom: '2026-05-01', createdTo: '2026-05-01T00:00:00Z' }, 'createdTo', 'later than createdFrom'],
    ['orders', { createdFrom: '2026-06-01', createdTo: '2026-05-01' }, 'createdTo', 'later than createdFrom'],
    ['categories', { createdFrom: '2026-05-01' }, 'createdFrom', 'is not a known field'],
    ['products', { createdTo: '2026-05-01' }, 'createdTo', 'is not a known field'],
    ['orders', { since: 'lastRun', createdFrom: '2026-05-01' }, 'createdFrom', 'cannot be combined with since'],
    ['orders', { since: 'lastRun', startId: 'o1' }, 'since', 'cannot be combined with startId'],
    ['customers', { createdTo: '2026-05-01', ids: ['c1'] }, 'createdTo', 'cannot be combined with ids'],
    ['customers', { since: 'lastRun', resume: true }, 'resume', 'cannot be combined with since'],
    [
      'products',
      { since: 'lastRun', deleteAll: true, confirmDeletion: 'products' },
      'since',
      'cannot be combined with deleteAll',
    ],
    ['customers', { retryFailed: false }, 'retryFailed', 'must be true'],
    ['customers', { run: 'last' }, 'run', 'only goes with "retryFailed": true'],
    ['customers', { retryFailed: true, run: 'a/b' }, 'run', 'a run id or "last"'],
    ['customers', { retryFailed: true, run: '' }, 'run', 'a run id or "last"'],
    ['customers', { retryFailed: true, ids: ['c1'] }, 'retryFailed', 'cannot be combined with ids'],
    ['customers', { retryFailed: true, resume: true }, 'retryFailed', 'cannot be combined with resume'],
    ['orders', { retryFailed: true, startId: 'o1' }, 'retryFailed', 'cannot be combined with startId'],
    [
      'products',
      { retryFailed: true, deleteAll: true, confirmDeletion: 'products' },
      'retryFailed',
      'cannot be combined with deleteAll',
    ],
  ] as const)('%s refuses %j naming %s', (type, body, field, message) => {
    let caught: unknown;
    try {
      parseStartRequest(type, body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequest);
    const problem = (caught as InvalidRequest).problems.find((entry) => entry.field === field);
    expect(problem).toBeDefined();
    expect(problem!.message).toContain(message);
  });
});

describe('parseStart', () => {
  it.each([
    ['customers', undefined, { run: { mode: 'all' }, dryRun: false }],
    ['customers', { dryRun: true }, { run: { mode: 'all' }, dryRun: true }],
    ['customers', { dryRun: false, ids: ['c1'] }, { run: { mode: 'ids', ids: ['c1'] }, dryRun: false }],
    ['orders', { dryRun: true, startId: 'o5' }, { run: { mode: 'startId', startId: 'o5' }, dryRun: true }],
    ['orders', { resume: true }, { run: { mode: 'resume' }, dryRun: false }],
  ] as const)('%s with %j is %j', (type, body, expected) => {
    expect(parseStart(type, body)).toEqual(expected);
  });

  it.each([
    ['customers', { dryRun: true, resume: true }, 'resume'],
    ['categories', { dryRun: true, deleteAll: true, confirmDeletion: 'categories' }, 'deleteAll'],
    ['customers', { dryRun: 1 }, 'dryRun'],
    ['customers', { dryRun: true, startId: 'c1' }, 'startId'],
  ] as const)('refuses %s with %j naming %s', (type, body, field) => {
    expect(() => parseStart(type, body)).toThrow(InvalidRequest);
    try {
      parseStart(type, body);
    } catch (error) {
      expect((error as InvalidRequest).problems.map((problem) => problem.field)).toEqual([field]);
    }
  });
});
