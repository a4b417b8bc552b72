/**
 * Every call the project makes through the klaviyo-api SDK passes the emulator's validation
 * against the official spec, and reads back what Klaviyo would answer.
 */
import { ApiKeySession, CatalogsApi, EventsApi, ProfilesApi, RetryWithExponentialBackoff } from 'klaviyo-api';
import { isAxiosError } from 'axios';
import { API_KEY, eventually, startTestEmulator, type EmulatorClient } from '../../sandbox/klaviyo-emulator/testing';
import type { ErrorAnswer, EventResource, ResourcePage } from '../support/klaviyo-answers';

let client: EmulatorClient;
let profiles: ProfilesApi;
let events: EventsApi;
let catalogs: CatalogsApi;

beforeAll(async () => {
  client = await startTestEmulator();
  const session = new ApiKeySession(API_KEY, new RetryWithExponentialBackoff({ numRetries: 0 }));
  profiles = new ProfilesApi(session);
  events = new EventsApi(session);
  catalogs = new CatalogsApi(session);
  for (const api of [profiles, events, catalogs]) api.basePath = client.emulator.url;
});

afterAll(() => client.emulator.close());

afterEach(() => {
  // Nothing the SDK sent may have failed validation.
  expect(client.emulator.rejected()).toEqual([]);
  client.emulator.reset();
});

const catalogId = (externalId: string) => `$custom:::$default:::${externalId}`;

async function statusOf<A extends object>(getJob: () => Promise<{ body: { data: { attributes: A } } }>) {
  return eventually(async () => {
    const { attributes } = (await getJob()).body.data;
    return 'status' in attributes && attributes.status === 'complete' ? attributes : undefined;
  });
}

test('profiles: bulk import, job status, import errors, look-up, create, update', async () => {
  const job = await profiles.bulkImportProfiles({
    data: {
      type: 'profile-bulk-import-job',
      attributes: {
        profiles: {
          data: [
            {
              type: 'profile',
              attributes: {
                email: 'ada@example.com',
                externalId: 'customer-1',
                phoneNumber: '+442071838750',
                firstName: 'Ada',
                location: { city: 'London', country: 'GB', zip: 'N1' },
                properties: { ctCustomerGroup: 'vip' },
              },
            },
            { type: 'profile', attributes: { email: 'bob@example.com', phoneNumber: '555-0100' } },
          ],
        },
      },
    },
  });
  expect(job.response.status).toBe(202);
  const finished = await statusOf(() => profiles.getBulkImportProfilesJob(job.body.data.id));
  expect(finished).toMatchObject({ totalCount: 2, completedCount: 1, failedCount: 1 });

  const errors = await profiles.getErrorsForBulkImportProfilesJob(job.body.data.id, { pageSize: 100 });
  expect(errors.body.data).toHaveLength(1);
  expect(errors.body.data[0].attributes.source.pointer).toBe(
    '/data/attributes/profiles/data/1/attributes/phone_number',
  );

  const found = await profiles.getProfiles({
    filter: 'any(email,["ada@example.com","nobody@example.com"])',
    pageSize: 100,
    fieldsProfile: ['email'],
  });
  expect(found.body.data.map((profile) => profile.attributes.email)).toEqual(['ada@example.com']);
  const byExternalId = await profiles.getProfiles({ filter: 'equals(external_id,"customer-1")' });
  expect(byExternalId.body.data[0].attributes.location?.city).toBe('London');

  const created = await profiles.createProfile({
    data: { type: 'profile', attributes: { email: 'cy@example.com', externalId: 'customer-3' } },
  });
  expect(created.response.status).toBe(201);
  const duplicate = await profiles
    .createProfile({ data: { type: 'profile', attributes: { email: 'cy@example.com' } } })
    .then(
      () => undefined,
      (error: unknown) => (isAxiosError<ErrorAnswer>(error) ? error.response : undefined),
    );
  expect(duplicate?.status).toBe(409);
  expect(duplicate?.data.errors[0].meta?.duplicate_profile_id).toBe(created.body.data.id);

  const id = created.body.data.id!;
  const updated = await profiles.updateProfile(id, {
    data: { type: 'profile', id, attributes: { firstName: 'Cy', properties: { tier: 'gold' } } },
  });
  expect(updated.body.data.attributes).toMatchObject({
    firstName: 'Cy',
    email: 'cy@example.com',
    properties: { tier: 'gold' },
  });
});

test('events: bulk create with backfill and a single event, read back with metric and profile', async () => {
  const placedOrder = { data: { type: 'metric' as const, attributes: { name: 'Placed Order' } } };
  const bulk = await events.bulkCreateEvents({
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        eventsBulkCreate: {
          data: [
            {
              type: 'event-bulk-create',
              attributes: {
                backfill: true,
                profile: {
                  data: { type: 'profile', attributes: { email: 'ada@example.com', externalId: 'customer-1' } },
                },
                events: {
                  data: [
                    {
                      type: 'event',
                      attributes: {
                        properties: { orderId: 'o-1' },
                        metric: placedOrder,
                        time: new Date('2024-03-01T10:00:00Z'),
                        value: 42.5,
                        valueCurrency: 'EUR',
                        uniqueId: 'o-1',
                      },
                    },
                    {
                      type: 'event',
                      attributes: {
                        properties: { orderId: 'o-2' },
                        metric: placedOrder,
                        time: new Date('2024-03-02T10:00:00Z'),
                        uniqueId: 'o-2',
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
  expect(bulk.response.status).toBe(202);
  const single = await events.createEvent({
    data: {
      type: 'event',
      attributes: {
        properties: { orderId: 'o-3' },
        metric: placedOrder,
        profile: { data: { type: 'profile', attributes: { email: 'ada@example.com' } } },
        uniqueId: 'o-3',
      },
    },
  });
  expect(single.response.status).toBe(202);

  const listed = await eventually(async () => {
    const page = await events.getEvents({ include: ['metric', 'profile'] });
    return page.body.data.length === 3 ? page.body : undefined;
  });
  expect(listed.included?.map((resource) => resource.type).sort()).toEqual(['metric', 'profile']);
  const { body: metrics } = await client.request<ResourcePage<{ name: string }>>('/api/metrics');
  expect(metrics.data.map((metric) => metric.attributes.name)).toEqual(['Placed Order']);
  const { body: inspected } = await client.request<{ data: EventResource[] }>('/__emulator/records/events');
  const uniqueIdAndBackfill = inspected.data.map((event) => [event.meta.unique_id, event.meta.backfill]);
  expect(uniqueIdAndBackfill.sort()).toEqual([
    ['o-1', true],
    ['o-2', true],
    ['o-3', false],
  ]);
});

test('catalog: bulk create, update and delete of categories, items and variants, with their job getters and look-ups', async () => {
  const created = await catalogs.createCatalogCategory({
    data: { type: 'catalog-category', attributes: { externalId: 'shoes', name: 'Shoes' } },
  });
  expect(created.body.data.id).toBe(catalogId('shoes'));

  const categoriesJob = await catalogs.bulkCreateCatalogCategories({
    data: {
      type: 'catalog-category-bulk-create-job',
      attributes: {
        categories: { data: [{ type: 'catalog-category', attributes: { externalId: 'boots', name: 'Boots' } }] },
      },
    },
  });
  expect(await statusOf(() => catalogs.getBulkCreateCategoriesJob(categoriesJob.body.data.id))).toMatchObject({
    completedCount: 1,
    failedCount: 0,
  });

  const itemsJob = await catalogs.bulkCreateCatalogItems({
    data: {
      type: 'catalog-item-bulk-create-job',
      attributes: {
        items: {
          data: [
            {
              type: 'catalog-item',
              attributes: {
                externalId: 'p-1',
                title: 'Trail boot',
                description: 'Waterproof',
                url: 'https://shop.example/p-1',
                price: 120,
                imageFullUrl: 'https://img.example/p-1.jpg',
                customMetadata: { brand: 'X' },
              },
              relationships: { categories: { data: [{ type: 'catalog-category', id: catalogId('boots') }] } },
            },
          ],
        },
      },
    },
  });
  expect(await statusOf(() => catalogs.getBulkCreateCatalogItemsJob(itemsJob.body.data.id))).toMatchObject({
    completedCount: 1,
    failedCount: 0,
  });

  const variantsJob = await catalogs.bulkCreateCatalogVariants({
    data: {
      type: 'catalog-variant-bulk-create-job',
      attributes: {
        variants: {
          data: [
            {
              type: 'catalog-variant',
              attributes: {
                externalId: 'p-1-42',
                title: 'Trail boot 42',
                description: 'Size 42',
                sku: 'TB-42',
                inventoryQuantity: 3,
                price: 120,
                url: 'https://shop.example/p-1?v=42',
              },
              relationships: { item: { data: { type: 'catalog-item', id: catalogId('p-1') } } },
            },
          ],
        },
      },
    },
  });
  expect(await statusOf(() => catalogs.getBulkCreateVariantsJob(variantsJob.body.data.id))).toMatchObject({
    completedCount: 1,
    failedCount: 0,
  });

  const updates = [
    catalogs
      .bulkUpdateCatalogItems({
        data: {
          type: 'catalog-item-bulk-update-job',
          attributes: { items: { data: [{ type: 'catalog-item', id: catalogId('p-1'), attributes: { price: 99 } }] } },
        },
      })
      .then(({ body }) => statusOf(() => catalogs.getBulkUpdateCatalogItemsJob(body.data.id))),
    catalogs
      .bulkUpdateCatalogVariants({
        data: {
          type: 'catalog-variant-bulk-update-job',
          attributes: {
            variants: {
              data: [{ type: 'catalog-variant', id: catalogId('p-1-42'), attributes: { inventoryQuantity: 0 } }],
            },
          },
        },
      })
      .then(({ body }) => statusOf(() => catalogs.getBulkUpdateVariantsJob(body.data.id))),
    catalogs
      .bulkUpdateCatalogCategories({
        data: {
          type: 'catalog-category-bulk-update-job',
          attributes: {
            categories: {
              data: [{ type: 'catalog-category', id: catalogId('shoes'), attributes: { name: 'All shoes' } }],
            },
          },
        },
      })
      .then(({ body }) => statusOf(() => catalogs.getBulkUpdateCategoriesJob(body.data.id))),
  ];
  for (const finished of await Promise.all(updates))
    expect(finished).toMatchObject({ completedCount: 1, failedCount: 0 });

  const items = await catalogs.getCatalogItems({
    filter: `any(ids,["${catalogId('p-1')}","${catalogId('missing')}"])`,
    include: ['variants'],
  });
  expect(items.body.data.map((item) => [item.id, item.attributes.price])).toEqual([[catalogId('p-1'), 99]]);
  expect(items.body.included?.map((variant) => [variant.id, variant.attributes.inventoryQuantity])).toEqual([
    [catalogId('p-1-42'), 0],
  ]);
  const variantsOfItem = await catalogs.getCatalogVariants({ filter: `equals(item.id,"${catalogId('p-1')}")` });
  expect(variantsOfItem.body.data.map((variant) => variant.attributes.sku)).toEqual(['TB-42']);
  const categories = await catalogs.getCatalogCategories({
    filter: `any(ids,["${catalogId('shoes')}","${catalogId('boots')}"])`,
  });
  expect(categories.body.data.map((category) => category.attributes.name).sort()).toEqual(['All shoes', 'Boots']);

  const deletes = [
    catalogs
      .bulkDeleteCatalogVariants({
        data: {
          type: 'catalog-variant-bulk-delete-job',
          attributes: { variants: { data: [{ type: 'catalog-variant', id: catalogId('p-1-42') }] } },
        },
      })
      .then(({ body }) => statusOf(() => catalogs.getBulkDeleteVariantsJob(body.data.id))),
    catalogs
      .bulkDeleteCatalogCategories({
        data: {
          type: 'catalog-category-bulk-delete-job',
          attributes: { categories: { data: [{ type: 'catalog-category', id: catalogId('shoes') }] } },
        },
      })
      .then(({ body }) => statusOf(() => catalogs.getBulkDeleteCategoriesJob(body.data.id))),
  ];
  for (const finished of await Promise.all(deletes))
    expect(finished).toMatchObject({ completedCount: 1, failedCount: 0 });
  const itemDelete = await catalogs.bulkDeleteCatalogItems({
    data: {
      type: 'catalog-item-bulk-delete-job',
      attributes: { items: { data: [{ type: 'catalog-item', id: catalogId('p-1') }] } },
    },
  });
  expect(await statusOf(() => catalogs.getBulkDeleteCatalogItemsJob(itemDelete.body.data.id))).toMatchObject({
    completedCount: 1,
  });
  expect(client.emulator.stats().records).toMatchObject({ catalogItems: 0, catalogVariants: 0, catalogCategories: 1 });
});
