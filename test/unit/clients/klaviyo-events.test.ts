import {
  eventIndexesOfPointer,
  eventLimitViolation,
  eventRequestBody,
  wireEvents,
  type OrderEvent,
  type ProfileEvent,
} from '../../../src/clients/klaviyo/events';

const wireEvent = ({ profile, event }: ProfileEvent) => wireEvents(profile, [event])[0];

const event = (uniqueId: string, properties: Record<string, unknown> = {}): OrderEvent => ({
  metricName: 'Placed Order',
  time: new Date('2024-03-01T10:00:00.000Z'),
  value: 19.99,
  valueCurrency: 'EUR',
  uniqueId,
  properties,
});

interface SentEntry {
  type: string;
  attributes: {
    backfill: boolean;
    profile: { data: { attributes: Record<string, string> } };
    events: {
      data: Array<{
        attributes: { unique_id: string; properties: object; metric: { data: { attributes: { name: string } } } };
      }>;
    };
  };
}

/** The entries of a request body as Klaviyo reads them. */
function sentEntries(events: ProfileEvent[], backfill: boolean): SentEntry[] {
  const body = JSON.parse(eventRequestBody(events.map(wireEvent), backfill).toString()) as {
    data: { attributes: { 'events-bulk-create': { data: SentEntry[] } } };
  };
  return body.data.attributes['events-bulk-create'].data;
}

describe('eventRequestBody', () => {
  it('puts the events of one buyer in one entry, in the order given, with backfill on each entry', () => {
    const ann = { email: 'ann@example.com', externalId: 'c-1' };
    const guest = { email: 'guest@example.com' };
    const events: ProfileEvent[] = [
      { profile: ann, event: event('o-1') },
      { profile: guest, event: event('o-2') },
      { profile: { ...ann }, event: event('o-3') },
    ];

    const entries = sentEntries(events, true);

    expect(entries.map((entry) => entry.attributes.profile.data.attributes)).toStrictEqual([
      { email: 'ann@example.com', external_id: 'c-1' },
      { email: 'guest@example.com' },
    ]);
    expect(entries.map((entry) => entry.attributes.events.data.map((item) => item.attributes.unique_id))).toStrictEqual(
      [['o-1', 'o-3'], ['o-2']],
    );
    expect(entries.map((entry) => entry.attributes.backfill)).toStrictEqual([true, true]);
  });

  it('keeps the same email with another customer id, and a customer id alone, as profiles of their own', () => {
    const entries = sentEntries(
      [
        { profile: { email: 'ann@example.com', externalId: 'c-1' }, event: event('o-1') },
        { profile: { email: 'ann@example.com', externalId: 'c-2' }, event: event('o-2') },
        { profile: { email: 'ann@example.com' }, event: event('o-3') },
        { profile: { externalId: 'c-1' }, event: event('o-4') },
      ],
      false,
    );
    expect(entries).toHaveLength(4);
    expect(entries.every((entry) => entry.attributes.backfill === false)).toBe(true);
  });

  it('leaves out a repeated unique_id of the same profile and metric, which would refuse the whole request', () => {
    const ann = { email: 'ann@example.com' };
    const entries = sentEntries(
      [
        { profile: ann, event: event('o-1', { first: true }) },
        { profile: ann, event: { ...event('o-1'), metricName: 'Fulfilled Order' } },
        { profile: ann, event: event('o-1', { first: false }) },
        { profile: { email: 'bob@example.com' }, event: event('o-1') },
      ],
      true,
    );
    expect(
      entries.map((entry) =>
        entry.attributes.events.data.map(({ attributes }) => [
          attributes.metric.data.attributes.name,
          attributes.properties,
        ]),
      ),
    ).toStrictEqual([
      [
        ['Placed Order', { first: true }],
        ['Fulfilled Order', {}],
      ],
      [['Placed Order', {}]],
    ]);
  });

  it("serializes the profile of one order's events once, and sends them in one entry", () => {
    const wired = wireEvents({ email: 'ann@example.com' }, [
      event('o-1'),
      { ...event('o-1-li-1'), metricName: 'Ordered Product' },
    ]);
    expect(wired[1].profileJson).toBe(wired[0].profileJson);
    const body = JSON.parse(eventRequestBody(wired, false).toString()) as {
      data: { attributes: { 'events-bulk-create': { data: SentEntry[] } } };
    };
    const entries = body.data.attributes['events-bulk-create'].data;
    expect(entries.map((entry) => entry.attributes.events.data.map((item) => item.attributes.unique_id))).toStrictEqual(
      [['o-1', 'o-1-li-1']],
    );
  });

  it('is in the spec form on the wire, property names left as they are', () => {
    const properties = { orderNumber: 'A-1', lineItems: [{ productId: 'p-1' }], ItemNames: ['Chinos'] };
    const wire = JSON.parse(
      eventRequestBody(
        [wireEvent({ profile: { email: 'ann@example.com' }, event: event('o-1', properties) })],
        true,
      ).toString(),
    ) as unknown;
    expect(wire).toStrictEqual({
      data: {
        type: 'event-bulk-create-job',
        attributes: {
          'events-bulk-create': {
            data: [
              {
                type: 'event-bulk-create',
                attributes: {
                  backfill: true,
                  profile: { data: { type: 'profile', attributes: { email: 'ann@example.com' } } },
                  events: {
                    data: [
                      {
                        type: 'event',
                        attributes: {
                          properties,
                          time: '2024-03-01T10:00:00.000Z',
                          value: 19.99,
                          value_currency: 'EUR',
                          unique_id: 'o-1',
                          metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
                        },
                      },
                    ],
                  },
                },
              },
            ],
          },
        },
      },
    });
  });
});

describe('eventIndexesOfPointer', () => {
  const ann = { email: 'ann@example.com', externalId: 'c-1' };
  const guest = { email: 'guest@example.com' };
  // Entries: ann [o-1, o-3 (twice: the repeat is left out)], guest [o-2].
  const events: ProfileEvent[] = [
    { profile: ann, event: event('o-1') },
    { profile: guest, event: event('o-2') },
    { profile: ann, event: event('o-3') },
    { profile: ann, event: event('o-3') },
  ];
  const entry = (index: number) => `/data/attributes/events-bulk-create/data/${index}`;

  it.each([
    [`${entry(0)}/attributes/events/data/0/attributes/time`, [0]],
    [`${entry(0)}/attributes/events/data/1`, [2, 3]],
    [`${entry(1)}/attributes/events/data/0/attributes/properties/OrderId`, [1]],
    [`${entry(0)}/attributes/profile/data/attributes/email`, [0, 2, 3]],
    [entry(1), [1]],
    [`${entry(2)}/attributes/events/data/0`, []],
    ['/data/attributes', []],
  ])('places %s at the events given as %j', (pointer, indexes) => {
    expect(eventIndexesOfPointer(events.map(wireEvent), pointer)).toStrictEqual(indexes);
  });
});

describe('eventLimitViolation', () => {
  const maxBytes = 4_500_000;

  it.each<[string, OrderEvent, number, string | undefined]>([
    ['an ordinary event', event('o-1', { orderNumber: 'A-1' }), 500, undefined],
    [
      'an event larger than a request may be',
      event('o-1'),
      4_500_001,
      'event of 4500001 bytes is larger than a request may be',
    ],
    [
      'an event with more than 400 properties',
      event('o-1', Object.fromEntries(Array.from({ length: 401 }, (_, index) => [`p${index}`, index]))),
      10_000,
      "event has 401 properties, more than Klaviyo's 400",
    ],
    [
      'exactly 400 properties',
      event('o-1', Object.fromEntries(Array.from({ length: 400 }, (_, index) => [`p${index}`, index]))),
      10_000,
      undefined,
    ],
    [
      'a string over 100 KB deep inside the properties',
      event('o-1', { lineItems: [{ custom: { fields: { note: 'x'.repeat(100_001) } } }] }),
      110_000,
      "a property string of 100001 bytes is longer than Klaviyo's 100000",
    ],
    ['a string of exactly 100 KB', event('o-1', { note: 'x'.repeat(100_000) }), 110_000, undefined],
    // Klaviyo counts bytes, not characters: 50,001 two-byte characters are over the limit.
    [
      'a multi-byte string over 100 KB',
      event('o-1', { note: 'é'.repeat(50_001) }),
      110_000,
      "a property string of 100002 bytes is longer than Klaviyo's 100000",
    ],
  ])('%s', (_case, candidate, bytes, expected) => {
    expect(eventLimitViolation(candidate, bytes, maxBytes)).toBe(expected);
  });
});
