import { recordIndexOf } from '../../../src/clients/klaviyo/catalog-job-outcome';

describe('recordIndexOf', () => {
  it.each([
    ['/data/attributes/items/data/7/attributes/price', 7],
    ['/data/attributes/categories/data/0', 0],
    ['/data/attributes/variants/data/12/relationships/item/data/id', 12],
    ['/data/attributes/items', undefined],
    [undefined, undefined],
  ])('%s → %s', (pointer, index) => {
    expect(recordIndexOf(pointer)).toBe(index);
  });
});
