import {
  eventProblems,
  profileProblems,
  repeatedUniqueIds,
  valueProblems,
} from '../../../src/mappers/klaviyo-record-checks';

const now = new Date('2026-06-01T00:00:00Z');
const at = '/data/attributes/profiles/data/0/attributes';

/** `depth` objects nested inside one another. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = { inner: value };
  return value;
}

describe('profileProblems', () => {
  it.each([
    ['an email', { email: 'ann@example.com' }, []],
    ['a phone number in E.164', { phone_number: '+4915112345678' }, []],
    ['an external id', { external_id: 'customer-1' }, []],
    [
      'no identifier',
      { first_name: 'Ann' },
      [{ pointer: at, reason: 'the profile has no email, phone number or external id' }],
    ],
    [
      'empty identifiers',
      { email: '', external_id: null },
      [{ pointer: at, reason: 'the profile has no email, phone number or external id' }],
    ],
    [
      'an email without @',
      { email: 'ann.example.com', external_id: 'c' },
      [{ pointer: `${at}/email`, reason: 'the email is not an email address' }],
    ],
    [
      'an email without a domain',
      { email: 'ann@localhost', external_id: 'c' },
      [{ pointer: `${at}/email`, reason: 'the email is not an email address' }],
    ],
    [
      'an email with a space',
      { email: 'ann smith@example.com' },
      [{ pointer: `${at}/email`, reason: 'the email is not an email address' }],
    ],
    [
      'a national phone number',
      { phone_number: '030 1234567', external_id: 'c' },
      [{ pointer: `${at}/phone_number`, reason: 'the phone number is not in E.164 form' }],
    ],
    [
      'a phone number with separators',
      { phone_number: '+49 151 1234', external_id: 'c' },
      [{ pointer: `${at}/phone_number`, reason: 'the phone number is not in E.164 form' }],
    ],
  ])('%s', (_case, attributes, expected) => {
    expect(profileProblems(attributes, at)).toEqual(expected);
  });

  it('checks the values of its properties too', () => {
    const attributes = { external_id: 'c', properties: { notes: 'x'.repeat(100_001) } };
    expect(profileProblems(attributes, at)).toEqual([
      { pointer: `${at}/properties/notes`, reason: "a string of 100001 bytes is longer than Klaviyo's 100 KB" },
    ]);
  });

  it('never quotes the value it refuses', () => {
    const reasons = profileProblems({ email: 'secret-address', phone_number: '12345' }, at).map((p) => p.reason);
    expect(reasons.join(' ')).not.toMatch(/secret-address|12345/);
  });
});

describe('eventProblems', () => {
  const event = '/data/attributes/events-bulk-create/data/0/attributes/events/data/1/attributes';
  it.each([
    ['a time in 2024', '2024-03-01T10:00:00.000Z', []],
    ['the first moment of 2000', '2000-01-01T00:00:00.000Z', []],
    ['a time just under a year ahead', '2027-05-31T00:00:00.000Z', []],
    ['a time in 1999', '1999-12-31T23:59:59.000Z', ['the event time is before 2000']],
    ['a time over a year ahead', '2027-06-02T00:00:00.000Z', ['the event time is more than a year ahead']],
    ['no time', undefined, ['the event has no valid time']],
    ['a time that is no date', 'yesterday', ['the event has no valid time']],
  ])('%s', (_case, time, reasons) => {
    const problems = eventProblems({ time, properties: {} }, event, now);
    expect(problems.map((problem) => problem.reason)).toEqual(reasons);
    for (const problem of problems) expect(problem.pointer).toBe(`${event}/time`);
  });
});

describe('valueProblems', () => {
  it.each([
    ['a string of exactly 100 KB', { properties: { text: 'x'.repeat(100_000) } }, []],
    ['a multi-byte string over 100 KB', { properties: { text: 'é'.repeat(50_001) } }, ['/properties/text']],
    ['a long string outside properties', { description: 'x'.repeat(100_001) }, ['/description']],
    ['an array of 4,000 items', { properties: { list: new Array(4_000).fill(1) } }, []],
    ['an array of 4,001 items', { properties: { list: new Array(4_001).fill(1) } }, ['/properties/list']],
    ['a long array outside properties', { variants: new Array(4_001).fill(1) }, []],
    ['10 levels of properties', { properties: nested(10) }, []],
    [
      '11 levels of properties',
      { properties: nested(11) },
      ['/properties/inner/inner/inner/inner/inner/inner/inner/inner/inner/inner'],
    ],
    ['a key with a slash', { properties: { 'a/b': 'x'.repeat(100_001) } }, ['/properties/a~1b']],
  ])('%s', (_case, attributes, pointers) => {
    expect(valueProblems(attributes, '').map((problem) => problem.pointer)).toEqual(pointers);
  });
});

describe('repeatedUniqueIds', () => {
  const entry = (email: string, events: Array<[string, string]>) => ({
    type: 'event-bulk-create',
    attributes: {
      profile: { data: { type: 'profile', attributes: { email } } },
      events: {
        data: events.map(([metric, uniqueId]) => ({
          type: 'event',
          attributes: { unique_id: uniqueId, metric: { data: { type: 'metric', attributes: { name: metric } } } },
        })),
      },
    },
  });
  const pointer = '/data/attributes/events-bulk-create/data';

  it('finds the same profile, metric and unique_id twice in one request', () => {
    const entries = [
      entry('a@example.com', [
        ['Placed Order', 'o-1'],
        ['Ordered Product', 'o-1'],
      ]),
      entry('b@example.com', [['Placed Order', 'o-1']]),
      entry('a@example.com', [
        ['Placed Order', 'o-2'],
        ['Placed Order', 'o-1'],
      ]),
    ];
    expect(repeatedUniqueIds(entries, pointer)).toEqual([
      {
        pointer: `${pointer}/2/attributes/events/data/1/attributes/unique_id`,
        reason: 'the unique_id is repeated for the same profile and metric in one request',
      },
    ]);
  });

  it('finds nothing in a request without repeats', () => {
    expect(repeatedUniqueIds([entry('a@example.com', [['Placed Order', 'o-1']])], pointer)).toEqual([]);
  });
});
