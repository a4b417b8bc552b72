/** Behaviour of the Klaviyo emulator over HTTP: validation, limits, jobs, identity, catalog, faults, inspection. */
import { startKlaviyoEmulator } from '../../sandbox/klaviyo-emulator';
import { loadSpec } from '../../sandbox/klaviyo-emulator/spec';
import { findSpecPath } from '../../sandbox/klaviyo-emulator/spec-location';
import { RequestValidator } from '../../sandbox/klaviyo-emulator/validator';
import { eventually, startTestEmulator, type EmulatorClient } from '../../sandbox/klaviyo-emulator/testing';
import type { EmulatorConfig } from '../../sandbox/klaviyo-emulator';
import type {
  CatalogAttributes,
  EmulatorRecords,
  EmulatorStats,
  ErrorAnswer,
  EventAttributes,
  Identifier,
  JobAttributes,
  OneResource,
  ProfileAttributes,
  RejectedRequest,
  ResourcePage,
} from '../support/klaviyo-answers';

let client: EmulatorClient;

beforeAll(async () => {
  client = await startTestEmulator();
});
afterAll(() => client.emulator.close());
beforeEach(() => {
  client.emulator.reset();
  client.emulator.configure({
    rateLimitSpeed: 0,
    jobProcessingMs: 20,
    faults: { errorRate: 0, latencyMs: 0, dropRate: 0 },
  });
});

const catalogId = (externalId: string) => `$custom:::$default:::${externalId}`;

function profileImport(profiles: Record<string, unknown>[]) {
  return {
    data: {
      type: 'profile-bulk-import-job',
      attributes: { profiles: { data: profiles.map((attributes) => ({ type: 'profile', attributes })) } },
    },
  };
}

function catalogJob(kind: 'item' | 'variant' | 'category', action: 'create' | 'update' | 'delete', records: unknown[]) {
  const nouns = { item: 'items', variant: 'variants', category: 'categories' }[kind];
  return { data: { type: `catalog-${kind}-bulk-${action}-job`, attributes: { [nouns]: { data: records } } } };
}

function item(externalId: string, title = externalId) {
  return {
    type: 'catalog-item',
    attributes: { external_id: externalId, title, description: '', url: `https://shop.example/${externalId}` },
  };
}

function eventEntry(profile: Record<string, unknown>, events: Record<string, unknown>[], backfill?: boolean) {
  return {
    type: 'event-bulk-create',
    attributes: {
      ...(backfill === undefined ? {} : { backfill }),
      profile: { data: { type: 'profile', attributes: profile } },
      events: {
        data: events.map((attributes) => ({
          type: 'event',
          attributes: {
            properties: {},
            metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
            ...attributes,
          },
        })),
      },
    },
  };
}

function eventBulk(entries: unknown[]) {
  return { data: { type: 'event-bulk-create-job', attributes: { 'events-bulk-create': { data: entries } } } };
}

function completedJob(collection: string, id: string) {
  return eventually(async () => {
    const { body: job } = await client.request<OneResource<JobAttributes>>(`/api/${collection}/${id}`);
    return job.data.attributes.status === 'complete' ? job.data : undefined;
  });
}

/** Submits a bulk job and waits for its completed form. */
async function runJob(collection: string, body: unknown) {
  const created = await client.request<OneResource<JobAttributes>>(`/api/${collection}`, { body });
  expect(created.status).toBe(202);
  return completedJob(collection, created.body.data.id);
}

async function records<K extends keyof EmulatorRecords>(kind: K) {
  return (await client.request<{ data: EmulatorRecords[K][] }>(`/__emulator/records/${kind}`)).body.data;
}

describe('validation against the spec', () => {
  test('a malformed body is refused with 400 pointing at the member, and recorded', async () => {
    const wrongType = await client.request<ErrorAnswer>('/api/profile-bulk-import-jobs', {
      body: profileImport([{ email: 'a@example.com' }, { email: 42 }]),
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0]).toMatchObject({
      status: 400,
      code: 'invalid',
      source: { pointer: '/data/attributes/profiles/data/1/attributes/email' },
    });

    const missing = await client.request<ErrorAnswer>('/api/catalog-categories', {
      body: { data: { type: 'catalog-category', attributes: { external_id: 'x' } } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].source?.pointer).toBe('/data/attributes/name');

    const { body: rejected } = await client.request<{ data: RejectedRequest[] }>('/__emulator/rejected');
    expect(rejected.data.map((entry) => [entry.operationId, entry.status])).toEqual([
      ['bulk_import_profiles', 400],
      ['create_catalog_category', 400],
    ]);
    expect(client.emulator.stats().records.profiles).toBe(0);
  });

  test('missing or wrong API key, missing revision, unknown path and unknown query parameter are refused', async () => {
    expect((await client.request('/api/profiles', { headers: { Authorization: '' } })).status).toBe(401);
    expect(
      (await client.request('/api/profiles', { headers: { Authorization: 'Klaviyo-API-Key someone-else' } })).status,
    ).toBe(401);
    const noRevision = await client.request<ErrorAnswer>('/api/profiles', { headers: { revision: '' } });
    expect(noRevision.status).toBe(400);
    expect(noRevision.body.errors[0].source).toEqual({ parameter: 'revision' });
    const unknownPath = await client.request<ErrorAnswer>('/api/profile-imports-that-do-not-exist');
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.body.errors[0].code).toBe('not_found');
    const unknownParameter = await client.request<ErrorAnswer>('/api/profiles?page[limit]=5');
    expect(unknownParameter.status).toBe(400);
    expect(unknownParameter.body.errors[0].source).toEqual({ parameter: 'page[limit]' });
    expect((await client.request('/api/catalog-items?page[size]=101')).status).toBe(400);
    expect((await client.request('/api/profiles?filter=equals(first_name,"Ada")')).status).toBe(400);
    expect(client.emulator.stats().rejected).toBe(7);
  });

  test('payload and record-count limits', async () => {
    const huge = profileImport([{ email: 'a@example.com', properties: { blob: 'x'.repeat(5 * 1024 * 1024) } }]);
    expect((await client.request('/api/profile-bulk-import-jobs', { body: huge })).status).toBe(413);
    const tooMany = catalogJob(
      'item',
      'create',
      Array.from({ length: 101 }, (_, index) => item(`p-${index}`)),
    );
    const refused = await client.request<ErrorAnswer>('/api/catalog-item-bulk-create-jobs', { body: tooMany });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].detail).toMatch(/up to 100/);
    expect(
      (
        await client.request('/api/catalog-item-bulk-create-jobs', {
          body: catalogJob('item', 'create', tooMany.data.attributes.items.data.slice(1)),
        })
      ).status,
    ).toBe(202);
  });

  test('a 10,000-profile import body validates in under a second', () => {
    const spec = loadSpec(findSpecPath())!;
    const validator = new RequestValidator(spec);
    const operation = spec.operations.get('bulk_import_profiles')!;
    const body = profileImport(
      Array.from({ length: 10_000 }, (_, index) => ({
        email: `p${index}@example.com`,
        first_name: 'P',
        location: { city: 'X' },
        properties: { n: index },
      })),
    );
    validator.validateBody(operation, body); // compiles
    const started = performance.now();
    validator.validateBody(operation, body);
    // About 6 ms on an idle machine; the bound only catches a schema compiled on every call.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('rate limits', () => {
  // Only the clock is frozen (sockets and timers stay real): every request lands in the same
  // one-second window however slowly a loaded machine serves them.
  beforeEach(() =>
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    }),
  );
  afterEach(() => jest.useRealTimers());

  test('past the burst an operation answers 429 with Retry-After and RateLimit headers; others are unaffected', async () => {
    client.emulator.configure({ rateLimitSpeed: 1 });
    const answers = [];
    for (let index = 0; index < 11; index++) answers.push(await client.request('/api/metrics')); // burst 10/s
    expect(answers.slice(0, 10).map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(answers[9].headers.get('ratelimit-remaining')).toBe('0');
    const throttled = answers[10];
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttled.headers.get('ratelimit-limit')).toBe('10');
    expect((await client.request('/api/profiles')).status).toBe(200);
    expect(client.emulator.stats().rateLimited).toBe(1);
  });

  test('rateLimitSpeed scales the limits', async () => {
    client.emulator.configure({ rateLimitSpeed: 2 });
    const statuses = [];
    for (let index = 0; index < 21; index++) statuses.push((await client.request('/api/metrics')).status);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);
    expect(statuses[20]).toBe(429);
  });
});

describe('profiles', () => {
  test('a bulk import job goes queued -> complete with counts and a per-profile error for an invalid phone', async () => {
    client.emulator.configure({ jobProcessingMs: 150 });
    const created = await client.request<OneResource<JobAttributes>>('/api/profile-bulk-import-jobs', {
      body: profileImport([
        { email: 'a@example.com', phone_number: '+4915112345678' },
        { email: 'b@example.com', phone_number: '0151 123' },
        { external_id: 'c' },
      ]),
    });
    expect(created.body.data.attributes).toMatchObject({ status: 'queued', total_count: 3, completed_count: 0 });
    const job = await completedJob('profile-bulk-import-jobs', created.body.data.id);
    expect(job.attributes).toMatchObject({ status: 'complete', total_count: 3, completed_count: 2, failed_count: 1 });
    const { body: errors } = await client.request<ResourcePage>(
      `/api/profile-bulk-import-jobs/${job.id}/import-errors`,
    );
    expect(errors.data).toHaveLength(1);
    expect(errors.data[0].attributes).toMatchObject({
      code: 'invalid',
      source: { pointer: '/data/attributes/profiles/data/1/attributes/phone_number' },
      original_payload: { attributes: { email: 'b@example.com' } },
    });
    expect((await records('profiles')).map((profile) => profile.attributes.email)).toEqual(['a@example.com', null]);
  });

  test('imports upsert by email, external_id and phone_number; single create answers 409 with the existing id', async () => {
    await runJob(
      'profile-bulk-import-jobs',
      profileImport([{ email: 'ada@example.com', first_name: 'Ada', properties: { a: 1 } }]),
    );
    await runJob(
      'profile-bulk-import-jobs',
      profileImport([{ email: 'ada@example.com', external_id: 'c-1', properties: { b: 2 } }]),
    );
    await runJob(
      'profile-bulk-import-jobs',
      profileImport([{ external_id: 'c-1', phone_number: '+14155550100', last_name: 'Lovelace' }]),
    );
    await runJob(
      'profile-bulk-import-jobs',
      profileImport([{ phone_number: '+14155550100', email: 'ada.l@example.com' }]),
    );
    const profiles = await records('profiles');
    expect(profiles).toHaveLength(1);
    expect(profiles[0].attributes).toMatchObject({
      email: 'ada.l@example.com',
      external_id: 'c-1',
      phone_number: '+14155550100',
      first_name: 'Ada',
      last_name: 'Lovelace',
      properties: { a: 1, b: 2 },
    });
    const byExternalId = await client.request<ResourcePage<ProfileAttributes>>(
      '/api/profiles?filter=equals(external_id,"c-1")',
    );
    expect(byExternalId.body.data.map((profile) => profile.id)).toEqual([profiles[0].id]);

    const duplicate = await client.request<ErrorAnswer>('/api/profiles', {
      body: { data: { type: 'profile', attributes: { external_id: 'c-1' } } },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors[0]).toMatchObject({
      code: 'duplicate_profile',
      meta: { duplicate_profile_id: profiles[0].id },
    });
    const badPhone = await client.request<ErrorAnswer>('/api/profiles', {
      body: { data: { type: 'profile', attributes: { phone_number: '4155550100' } } },
    });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.errors[0].source?.pointer).toBe('/data/attributes/phone_number');
  });
});

describe('events', () => {
  test('unique_id keeps the first event per profile and metric; backfill is stored per event', async () => {
    const ada = { email: 'ada@example.com' };
    await client.request('/api/event-bulk-create-jobs', {
      body: eventBulk([
        eventEntry(
          ada,
          [
            { unique_id: 'o-1', value: 10 },
            { unique_id: 'o-2', backfill: false },
          ],
          true,
        ),
      ]),
    });
    await client.request('/api/event-bulk-create-jobs', {
      body: eventBulk([
        eventEntry(ada, [{ unique_id: 'o-1', value: 99 }]),
        eventEntry({ email: 'bob@example.com' }, [{ unique_id: 'o-1' }]),
      ]),
    });
    const events = await eventually(async () => {
      const all = await records('events');
      return client.emulator.state.jobs.size === 2 &&
        [...client.emulator.state.jobs.values()].every((job) => job.status === 'complete')
        ? all
        : undefined;
    });
    expect(
      events.map((event) => [event.meta.unique_id, event.meta.backfill, event.meta.value, event.meta.metric_name]),
    ).toEqual([
      ['o-1', true, 10, 'Placed Order'],
      ['o-2', false, null, 'Placed Order'],
      ['o-1', false, null, 'Placed Order'],
    ]);
    expect(new Set(events.map((event) => (event.relationships!.profile.data as Identifier).id)).size).toBe(2);
    expect(await records('metrics')).toHaveLength(1);
  });

  test('a unique_id repeated for one profile and metric in one bulk request fails the request', async () => {
    const refused = await client.request<ErrorAnswer>('/api/event-bulk-create-jobs', {
      body: eventBulk([eventEntry({ email: 'a@example.com' }, [{ unique_id: 'o-1' }, { unique_id: 'o-1' }])]),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].source?.pointer).toBe(
      '/data/attributes/events-bulk-create/data/0/attributes/events/data/1/attributes/unique_id',
    );
  });

  test('an event time before 1990 is refused without touching the profile', async () => {
    const refused = await client.request<ErrorAnswer>('/api/events', {
      body: {
        data: {
          type: 'event',
          attributes: {
            properties: {},
            time: '1989-12-31T23:59:59Z',
            metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
            profile: { data: { type: 'profile', attributes: { email: 'a@example.com' } } },
          },
        },
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].source?.pointer).toBe('/data/attributes/time');
    expect(client.emulator.stats().records).toMatchObject({ profiles: 0, events: 0 });
  });

  test('GET /api/events filters by metric and includes metric and profile', async () => {
    const single = (name: string, uniqueId: string) => ({
      data: {
        type: 'event',
        attributes: {
          properties: {},
          unique_id: uniqueId,
          metric: { data: { type: 'metric', attributes: { name } } },
          profile: { data: { type: 'profile', attributes: { email: 'a@example.com' } } },
        },
      },
    });
    expect((await client.request('/api/events', { body: single('Placed Order', 'o-1') })).status).toBe(202);
    expect((await client.request('/api/events', { body: single('Ordered Product', 'o-1-p') })).status).toBe(202);
    const metricId = (await records('metrics')).find((metric) => metric.attributes.name === 'Ordered Product')!.id;
    const { body } = await client.request<ResourcePage<EventAttributes>>(
      `/api/events?filter=equals(metric_id,"${metricId}")&include=metric,profile`,
    );
    expect(body.data).toHaveLength(1);
    expect(body.included!.map((resource) => resource.type)).toEqual(['metric', 'profile']);
  });
});

describe('catalog', () => {
  test('duplicate create, missing update and missing delete fail per record; the rest succeeds', async () => {
    await runJob('catalog-item-bulk-create-jobs', catalogJob('item', 'create', [item('p-1')]));
    const created = await runJob(
      'catalog-item-bulk-create-jobs',
      catalogJob('item', 'create', [item('p-2'), item('p-1')]),
    );
    expect(created.attributes).toMatchObject({ total_count: 2, completed_count: 1, failed_count: 1 });
    expect(created.attributes.errors![0].source?.pointer).toBe('/data/attributes/items/data/1/attributes/external_id');

    const updated = await runJob(
      'catalog-item-bulk-update-jobs',
      catalogJob('item', 'update', [
        { type: 'catalog-item', id: catalogId('missing'), attributes: { title: 'x' } },
        { type: 'catalog-item', id: catalogId('p-2'), attributes: { title: 'Second' } },
      ]),
    );
    expect(updated.attributes).toMatchObject({ completed_count: 1, failed_count: 1 });
    expect(updated.attributes.errors![0].source?.pointer).toBe('/data/attributes/items/data/0/id');
    const deleted = await runJob(
      'catalog-category-bulk-delete-jobs',
      catalogJob('category', 'delete', [{ type: 'catalog-category', id: catalogId('nope') }]),
    );
    expect(deleted.attributes).toMatchObject({ completed_count: 0, failed_count: 1 });

    expect(
      (
        await client.request<OneResource<CatalogAttributes>>(
          `/api/catalog-items/${encodeURIComponent(catalogId('p-2'))}`,
        )
      ).body.data.attributes.title,
    ).toBe('Second');
    expect((await client.request('/api/catalog-items', { body: { data: item('p-1') } })).status).toBe(409);
  });

  test('variants need their item, items their categories; deleting an item deletes its variants', async () => {
    await runJob(
      'catalog-category-bulk-create-jobs',
      catalogJob('category', 'create', [
        { type: 'catalog-category', attributes: { external_id: 'c-1', name: 'Boots' } },
      ]),
    );
    const withCategory = {
      ...item('p-1'),
      relationships: { categories: { data: [{ type: 'catalog-category', id: catalogId('c-1') }] } },
    };
    const withMissingCategory = {
      ...item('p-2'),
      relationships: { categories: { data: [{ type: 'catalog-category', id: catalogId('c-9') }] } },
    };
    expect(
      (await runJob('catalog-item-bulk-create-jobs', catalogJob('item', 'create', [withCategory, withMissingCategory])))
        .attributes.failed_count,
    ).toBe(1);
    const variant = (externalId: string, itemExternalId: string) => ({
      type: 'catalog-variant',
      attributes: {
        external_id: externalId,
        title: externalId,
        description: '',
        sku: externalId,
        inventory_quantity: 1,
        price: 10,
        url: 'https://shop.example/v',
      },
      relationships: { item: { data: { type: 'catalog-item', id: catalogId(itemExternalId) } } },
    });
    const variants = await runJob(
      'catalog-variant-bulk-create-jobs',
      catalogJob('variant', 'create', [variant('v-1', 'p-1'), variant('v-2', 'p-1'), variant('v-3', 'p-2')]),
    );
    expect(variants.attributes).toMatchObject({ completed_count: 2, failed_count: 1 });

    const inCategory = await client.request<ResourcePage<CatalogAttributes>>(
      `/api/catalog-items?filter=equals(category.id,"${catalogId('c-1')}")&include=variants`,
    );
    expect(inCategory.body.data.map((record) => record.id)).toEqual([catalogId('p-1')]);
    expect(inCategory.body.included!.map((record) => record.id)).toEqual([catalogId('v-1'), catalogId('v-2')]);

    await runJob(
      'catalog-item-bulk-delete-jobs',
      catalogJob('item', 'delete', [{ type: 'catalog-item', id: catalogId('p-1') }]),
    );
    expect(client.emulator.stats().records).toMatchObject({
      catalogItems: 0,
      catalogVariants: 0,
      catalogCategories: 1,
    });
  });

  test('lists page 100 at a time with links.next', async () => {
    for (let start = 0; start < 250; start += 100) {
      const batch = Array.from({ length: Math.min(100, 250 - start) }, (_, index) => ({
        type: 'catalog-category',
        attributes: { external_id: `c-${start + index}`, name: 'C' },
      }));
      await runJob('catalog-category-bulk-create-jobs', catalogJob('category', 'create', batch));
    }
    const pageSizes = [];
    let next: string | undefined = `${client.emulator.url}/api/catalog-categories`;
    const seen = new Set<string>();
    while (next) {
      const { body }: { body: ResourcePage } = await client.request(next.slice(client.emulator.url.length));
      pageSizes.push(body.data.length);
      for (const record of body.data) seen.add(record.id);
      next = body.links.next;
    }
    expect(pageSizes).toEqual([100, 100, 50]);
    expect(seen.size).toBe(250);
  });

  test('at most 500 catalog jobs in progress', async () => {
    client.emulator.configure({ jobProcessingMs: 60_000 });
    const body = catalogJob('category', 'delete', []);
    for (let index = 0; index < 500; index++)
      expect((await client.request('/api/catalog-category-bulk-delete-jobs', { body })).status).toBe(202);
    const refused = await client.request<ErrorAnswer>('/api/catalog-item-bulk-create-jobs', {
      body: catalogJob('item', 'create', [item('p-1')]),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
  });
});

describe('faults', () => {
  test('errorRate answers that share of requests 503 (seeded)', async () => {
    const faulty = await startTestEmulator({ randomSeed: 7, faults: { errorRate: 0.25 } });
    try {
      const statuses = [];
      for (let index = 0; index < 400; index++) statuses.push((await faulty.request('/api/metrics')).status);
      const failures = statuses.filter((status) => status === 503).length;
      expect(failures).toBeGreaterThan(400 * 0.15);
      expect(failures).toBeLessThan(400 * 0.35);
      expect(statuses.filter((status) => status !== 503).every((status) => status === 200)).toBe(true);
      expect(faulty.emulator.stats().faultsInjected).toBe(failures);
    } finally {
      await faulty.emulator.close();
    }
  });

  test('drops and latency can be switched on at run time through /__emulator/config', async () => {
    const { body: config } = await client.request<EmulatorConfig>('/__emulator/config', {
      body: { faults: { dropRate: 1 } },
    });
    expect(config.faults.dropRate).toBe(1);
    await expect(client.request('/api/metrics')).rejects.toThrow();
    await client.request('/__emulator/config', { body: { faults: { dropRate: 0, latencyMs: 120 } } });
    const started = Date.now();
    expect((await client.request('/api/metrics')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('inspection API', () => {
  test('stats count requests by operationId and records; reset clears both', async () => {
    await client.request('/api/profiles', {
      body: { data: { type: 'profile', attributes: { email: 'a@example.com' } } },
    });
    await client.request('/api/profiles');
    const { body: stats } = await client.request<EmulatorStats>('/__emulator/stats');
    expect(stats).toEqual({
      records: { profiles: 1, events: 0, metrics: 0, catalogItems: 0, catalogVariants: 0, catalogCategories: 0 },
      requests: { total: 2, byOperation: { create_profile: 1, get_profiles: 1 } },
      rejected: 0,
      rateLimited: 0,
      faultsInjected: 0,
    });
    expect((await client.request<{ data: unknown[] }>('/__emulator/records/jobs')).body.data).toEqual([]);
    expect((await client.request('/__emulator/records/unknown')).status).toBe(404);
    await client.request('/__emulator/reset', { method: 'POST' });
    expect((await client.request('/__emulator/stats')).body).toMatchObject({
      records: { profiles: 0 },
      requests: { total: 0 },
    });
  });
});

test('without the spec the emulator still serves requests and says once that validation is off', async () => {
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const unvalidated = await startKlaviyoEmulator({ specPath: '/nonexistent/stable.json', jobProcessingMs: 10 });
  try {
    expect(stderr.mock.calls.filter(([text]) => String(text).includes('validation'))).toHaveLength(1);
    expect(unvalidated.validating).toBe(false);
    const response = await fetch(`${unvalidated.url}/api/profiles`, {
      method: 'POST',
      headers: { Authorization: 'Klaviyo-API-Key any', revision: '2026-07-15', 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { type: 'profile', attributes: { email: 'a@example.com', unknown_field: 1 } } }),
    });
    expect(response.status).toBe(201);
    expect(unvalidated.stats().requests.byOperation).toEqual({ 'POST /api/profiles': 1 });
  } finally {
    stderr.mockRestore();
    await unvalidated.close();
  }
});
