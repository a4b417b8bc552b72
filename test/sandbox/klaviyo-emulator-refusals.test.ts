/** The emulator's "refuse chosen records" fault: bulk requests holding chosen strings are refused as Klaviyo refuses invalid input. */
import { startTestEmulator, type EmulatorClient } from '../../sandbox/klaviyo-emulator/testing';
import type { EmulatorConfig } from '../../sandbox/klaviyo-emulator';
import type { ErrorAnswer } from '../support/klaviyo-answers';
import { anyOf } from '../support/matchers';

let client: EmulatorClient;

beforeAll(async () => {
  client = await startTestEmulator();
});
afterAll(() => client.emulator.close());
beforeEach(() => {
  client.emulator.reset();
  client.emulator.configure({ refuseRecords: [] });
});

const profiles = (emails: string[]) => ({
  data: {
    type: 'profile-bulk-import-job',
    attributes: { profiles: { data: emails.map((email) => ({ type: 'profile', attributes: { email } })) } },
  },
});

const events = (entries: Array<{ email: string; orders: string[] }>) => ({
  data: {
    type: 'event-bulk-create-job',
    attributes: {
      'events-bulk-create': {
        data: entries.map(({ email, orders }) => ({
          type: 'event-bulk-create',
          attributes: {
            profile: { data: { type: 'profile', attributes: { email } } },
            events: {
              data: orders.map((order) => ({
                type: 'event',
                attributes: {
                  properties: { OrderId: order },
                  unique_id: order,
                  metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
                },
              })),
            },
          },
        })),
      },
    },
  },
});

describe('refuseRecords', () => {
  test('refuses a profile import job naming every chosen profile by pointer, and applies nothing', async () => {
    client.emulator.configure({ refuseRecords: ['bad-'] });
    const answer = await client.request<ErrorAnswer>('/api/profile-bulk-import-jobs', {
      body: profiles(['a@example.com', 'bad-1@example.com', 'c@example.com', 'bad-2@example.com']),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((error) => [error.code, error.source?.pointer])).toStrictEqual([
      ['invalid', '/data/attributes/profiles/data/1/attributes/email'],
      ['invalid', '/data/attributes/profiles/data/3/attributes/email'],
    ]);
    expect(answer.body.errors[0]).toMatchObject({ status: 400, title: 'Invalid input.', detail: anyOf(String) });
    expect((await client.request<{ data: unknown[] }>('/__emulator/records/jobs')).body.data).toStrictEqual([]);
    expect(client.emulator.stats().records.profiles).toBe(0);
  });

  test("points at the refused event of an entry, or at the entry's profile when the profile holds the string", async () => {
    client.emulator.configure({ refuseRecords: ['o-2', 'refused@'] });
    const answer = await client.request<ErrorAnswer>('/api/event-bulk-create-jobs', {
      body: events([
        { email: 'a@example.com', orders: ['o-1', 'o-2'] },
        { email: 'refused@example.com', orders: ['o-3'] },
      ]),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((error) => error.source?.pointer)).toStrictEqual([
      '/data/attributes/events-bulk-create/data/0/attributes/events/data/1/attributes/properties/OrderId',
      '/data/attributes/events-bulk-create/data/1/attributes/profile/data/attributes/email',
    ]);
    expect(client.emulator.stats().records.events).toBe(0);
  });

  test('refuses catalog jobs the same way, accepts a request holding no chosen string, and [] turns it off', async () => {
    const categories = (names: string[]) => ({
      data: {
        type: 'catalog-category-bulk-create-job',
        attributes: {
          categories: {
            data: names.map((name) => ({
              type: 'catalog-category',
              attributes: { external_id: name, name, integration_type: '$custom', catalog_type: '$default' },
            })),
          },
        },
      },
    });
    const config = await client.request<EmulatorConfig>('/__emulator/config', { body: { refuseRecords: ['Shoes'] } });
    expect(config.body.refuseRecords).toStrictEqual(['Shoes']);
    const refused = await client.request<ErrorAnswer>('/api/catalog-category-bulk-create-jobs', {
      body: categories(['Hats', 'Shoes']),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((error) => error.source?.pointer)).toStrictEqual([
      '/data/attributes/categories/data/1/attributes/external_id',
    ]);
    expect(
      (await client.request('/api/catalog-category-bulk-create-jobs', { body: categories(['Hats']) })).status,
    ).toBe(202);
    client.emulator.configure({ refuseRecords: [] });
    expect(
      (await client.request('/api/catalog-category-bulk-create-jobs', { body: categories(['Shoes']) })).status,
    ).toBe(202);
  });
});
