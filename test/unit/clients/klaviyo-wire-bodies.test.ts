import type { IncomingMessage, ServerResponse } from 'node:http';
import { KlaviyoClient } from '../../../src/clients/klaviyo/klaviyo-client';
import { bulkCreateEvents, wireEvents, type ProfileEvent } from '../../../src/clients/klaviyo/events';
import { profileWire, submitProfileImportJob, type ProfileImportEntry } from '../../../src/clients/klaviyo/profiles';
import { WireBodyWriter } from '../../../src/clients/klaviyo/wire-body';
import { createLogger } from '../../../src/logging/logger';
import { answer, startLocalServer, type LocalServer } from '../../support/local-server';

/** A request as it reached the server: what a prepared body must reproduce byte for byte. */
interface ReceivedRequest {
  method?: string;
  path?: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

const comparedHeaders = ['authorization', 'revision', 'content-type', 'content-length', 'accept', 'user-agent'];

async function recordingServer(received: ReceivedRequest[], answerWith: unknown): Promise<LocalServer> {
  return startLocalServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        path: request.url,
        headers: Object.fromEntries(comparedHeaders.map((name) => [name, request.headers[name] as string | undefined])),
        body: Buffer.concat(chunks),
      });
      answer(response, 202, answerWith);
    });
  });
}

function clientFor(url: string): KlaviyoClient {
  return new KlaviyoClient({
    apiKey: 'pk_wire',
    apiUrl: url,
    timeoutMs: 5_000,
    jobTimeoutMs: 60_000,
    logger: createLogger('silent'),
  });
}

/**
 * Profiles with every attribute the SDK knows set, non-ASCII text and nested properties included;
 * every fifth one with an email alone.
 */
function generatedProfiles(count: number): ProfileImportEntry[] {
  return Array.from({ length: count }, (_, n) =>
    n % 5 === 4
      ? { attributes: { email: `only-${n}@example.com` } }
      : {
          id: n % 3 === 0 ? `01HPROFILE${n}` : undefined,
          attributes: {
            email: `person-${n}@example.com`,
            phoneNumber: `+49151${String(1_000_000 + n)}`,
            externalId: `customer-${n}`,
            kx: `kx-${n}`,
            firstName: n % 2 === 0 ? 'Zoë' : 'Łukasz',
            lastName: `Müller-${n} "quoted" \\ back`,
            organization: 'Example & Söhne GmbH',
            locale: 'de-DE',
            title: 'Dr.',
            image: `https://example.com/people/${n}.png`,
            location: {
              address1: `Hauptstraße ${n}`,
              address2: 'Hinterhaus, 2. OG',
              city: 'München',
              country: 'DE',
              latitude: 48.137 + n / 1000,
              longitude: '11.575',
              region: 'Bayern',
              zip: '80331',
              timezone: 'Europe/Berlin',
              ip: '192.0.2.1',
            },
            properties: {
              customerNumber: `CN-${n}`,
              groups: ['vip', 'newsletter'],
              addresses: [{ key: 'home', streetName: 'Hauptstraße', custom: { fields: { floor: 2, note: '→ ✓ 😀' } } }],
              isEmailVerified: n % 2 === 0,
              createdAt: new Date(Date.UTC(2024, 0, 1 + n)),
              nothing: null,
            },
          },
        },
  );
}

function generatedEvents(count: number): ProfileEvent[] {
  return Array.from({ length: count }, (_, n) => ({
    // Three buyers, one of them a guest without customer id: entries shared between events.
    profile:
      n % 3 === 2
        ? { email: `guest-${n % 2}@example.com` }
        : { email: `buyer-${n % 3}@example.com`, externalId: `c-${n % 3}` },
    event: {
      metricName: n % 2 === 0 ? 'Placed Order' : 'Ordered Product',
      time: new Date(Date.UTC(2024, 2, 1, 10, n)),
      value: 19.99 + n,
      valueCurrency: 'EUR',
      uniqueId: `order-${n}`,
      properties: {
        OrderId: `o-${n}`,
        ItemNames: ['Chinos', 'Hemd „weiß“'],
        lineItems: [{ productId: `p-${n}`, quantity: n }],
      },
    },
  }));
}

describe('request bodies built once per record', () => {
  let server: LocalServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends a profile import job byte for byte as the SDK would send the same profiles', async () => {
    const received: ReceivedRequest[] = [];
    server = await recordingServer(received, {
      data: { type: 'profile-bulk-import-job', id: 'job-1', attributes: {} },
    });
    const client = clientFor(server.url);
    const profiles = generatedProfiles(25);

    await client.call('bulk_import_profiles', () =>
      client.profiles.bulkImportProfiles({
        data: {
          type: 'profile-bulk-import-job',
          attributes: {
            profiles: {
              data: profiles.map((profile) => ({ type: 'profile', id: profile.id, attributes: profile.attributes })),
            },
          },
        },
      }),
    );
    await expect(submitProfileImportJob(client, profiles.map(profileWire))).resolves.toBe('job-1');

    const [bySdk, prepared] = received;
    expect(prepared.body.toString()).toBe(bySdk.body.toString());
    expect(prepared).toStrictEqual(bySdk);
    // Snake case on the wire, and every attribute there.
    const sentProfile = (
      JSON.parse(bySdk.body.toString()) as { data: { attributes: { profiles: { data: unknown[] } } } }
    ).data.attributes.profiles.data[0];
    expect(Object.keys((sentProfile as { attributes: object }).attributes)).toStrictEqual([
      'email',
      'phone_number',
      'external_id',
      '_kx',
      'first_name',
      'last_name',
      'organization',
      'locale',
      'title',
      'image',
      'location',
      'properties',
    ]);
  });

  it('sends the same bytes again from profiles already submitted once (their forms then point into the first body)', async () => {
    const received: ReceivedRequest[] = [];
    server = await recordingServer(received, {
      data: { type: 'profile-bulk-import-job', id: 'job-1', attributes: {} },
    });
    const client = clientFor(server.url);
    const wires = generatedProfiles(7).map(profileWire);
    const forms = wires.map((wire) => wire.json.toString());

    await submitProfileImportJob(client, wires);
    await submitProfileImportJob(client, wires.slice(2, 5));

    expect(wires.map((wire) => wire.json.toString())).toStrictEqual(forms);
    expect(received[1].body.toString()).toBe(
      `{"data":{"type":"profile-bulk-import-job","attributes":{"profiles":{"data":[${forms.slice(2, 5).join(',')}]}}}}`,
    );
  });

  it.each([true, false])(
    'sends a bulk event request (backfill %s) byte for byte as the SDK would send the same events',
    async (backfill) => {
      const received: ReceivedRequest[] = [];
      server = await recordingServer(received, {});
      const client = clientFor(server.url);
      const events = generatedEvents(12);

      // What the SDK is given for these events: one entry per buyer, in the order buyers first appear.
      const entries = new Map<string, { profile: ProfileEvent['profile']; events: ProfileEvent['event'][] }>();
      for (const { profile, event } of events) {
        const key = `${profile.email}|${profile.externalId}`;
        if (!entries.has(key)) entries.set(key, { profile, events: [] });
        entries.get(key)!.events.push(event);
      }
      await client.call('bulk_create_events', () =>
        client.events.bulkCreateEvents({
          data: {
            type: 'event-bulk-create-job',
            attributes: {
              eventsBulkCreate: {
                data: [...entries.values()].map((entry) => ({
                  type: 'event-bulk-create',
                  attributes: {
                    profile: { data: { type: 'profile', attributes: entry.profile } },
                    events: {
                      data: entry.events.map((event) => ({
                        type: 'event',
                        attributes: {
                          properties: event.properties,
                          time: event.time,
                          value: event.value,
                          valueCurrency: event.valueCurrency,
                          uniqueId: event.uniqueId,
                          metric: { data: { type: 'metric', attributes: { name: event.metricName } } },
                        },
                      })),
                    },
                    backfill,
                  },
                })),
              },
            },
          },
        }),
      );
      const wires = events.flatMap(({ profile, event }) => wireEvents(profile, [event]));
      await bulkCreateEvents(client, wires, { backfill });

      const [bySdk, prepared] = received;
      expect(prepared.body.toString()).toBe(bySdk.body.toString());
      expect(prepared).toStrictEqual(bySdk);
      // Each event's measure covers what it adds, its own profile and entry included.
      const measured = wires.reduce((sum, wire) => sum + wire.bytes, 0);
      expect(prepared.body.length).toBeLessThanOrEqual(measured + 100);
    },
  );
});

describe('WireBodyWriter', () => {
  it('writes the pieces one after another as UTF-8 and leaves the unused room off', () => {
    const body = new WireBodyWriter(100);
    for (const piece of ['{"a":', '"Zoë 😀"', '}']) body.write(piece);
    expect(body.finish().toString()).toBe('{"a":"Zoë 😀"}');
    expect(body.finish()).toHaveLength(Buffer.byteLength('{"a":"Zoë 😀"}'));
  });

  it('refuses a piece that does not fit rather than send a cut-off body', () => {
    const body = new WireBodyWriter(8);
    body.write('1234567');
    expect(() => body.write('é')).toThrow('a request body outgrew the 8 bytes measured for it');
  });
});
