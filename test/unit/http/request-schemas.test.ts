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
