import type { FieldFilter } from '../../../src/config/mapping-settings';
import { applyFieldFilter } from '../../../src/mappers/field-filter';

const fields = { orderNumber: 'A-1', total: 0, paid: false, note: null, missing: undefined, lines: [{ id: 'l-1' }] };
const filter = (part: Partial<FieldFilter>): FieldFilter => ({ include: [], exclude: [], rename: {}, ...part });

describe('applyFieldFilter', () => {
  it.each<[string, Record<string, unknown> | undefined, FieldFilter, Record<string, unknown>]>([
    [
      'keeps every defined field, falsy ones too, when the filter is empty',
      fields,
      filter({}),
      { orderNumber: 'A-1', total: 0, paid: false, note: null, lines: [{ id: 'l-1' }] },
    ],
    ['returns nothing for no fields', undefined, filter({ include: ['orderNumber'] }), {}],
    [
      'keeps only included fields',
      fields,
      filter({ include: ['orderNumber', 'paid'] }),
      { orderNumber: 'A-1', paid: false },
    ],
    [
      'ignores included names the record lacks',
      fields,
      filter({ include: ['orderNumber', 'absent'] }),
      { orderNumber: 'A-1' },
    ],
    ['leaves out an included field whose value is undefined', fields, filter({ include: ['missing'] }), {}],
    [
      'drops excluded fields',
      fields,
      filter({ exclude: ['lines', 'note', 'total'] }),
      { orderNumber: 'A-1', paid: false },
    ],
    [
      'lets exclude win over include',
      fields,
      filter({ include: ['orderNumber', 'paid'], exclude: ['paid'] }),
      { orderNumber: 'A-1' },
    ],
    [
      'renames fields, matching include and exclude on the original names',
      fields,
      filter({
        include: ['orderNumber', 'total', 'paid'],
        exclude: ['paid'],
        rename: { orderNumber: 'Order Number', paid: 'Paid' },
      }),
      { 'Order Number': 'A-1', total: 0 },
    ],
    [
      'treats names of Object.prototype members as plain field names',
      { toString: 'a', constructor: 'b', valueOf: 'c' },
      filter({ rename: { valueOf: 'value' } }),
      { toString: 'a', constructor: 'b', value: 'c' },
    ],
  ])('%s', (_case, input, fieldFilter, expected) => {
    expect(applyFieldFilter(input, fieldFilter)).toStrictEqual(expected);
  });

  it('keeps a field named __proto__ as an ordinary property', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "name": "x"}') as Record<string, unknown>;
    const result = applyFieldFilter(input, filter({}));
    expect(Object.keys(result)).toStrictEqual(['__proto__', 'name']);
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":true},"name":"x"}');
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});
