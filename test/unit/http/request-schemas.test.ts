import { InvalidRequest, parseStartRequest } from '../../../src/http/request-schemas';

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
