import type { Customer } from '@commercetools/platform-sdk';
import { defaultMappingSettings } from '../../src/config/mapping-settings';
import { customerProfileAttributes } from '../../src/mappers/customer-profile';
import { emulatorInspector, http, startService, waitForState, type RunningService } from '../support/service-harness';
import { readAllRecords, startSandbox, type RunningSandbox } from '../support/sandbox-process';
import type { RunStatus, SyncAnswer } from '../support/service-answers';
import { stringMatching } from '../support/matchers';

/** How the emulator (as Klaviyo) stores a profile we expect from a customer: the wire form. */
function expectedProfile(customer: Customer): Record<string, unknown> {
  const attributes = customerProfileAttributes(customer, defaultMappingSettings());
  // Klaviyo refuses phone numbers that are not E.164; the importer then sends the profile without one.
  const phone =
    attributes.phoneNumber && /^\+[1-9]\d{1,14}$/.test(attributes.phoneNumber) ? attributes.phoneNumber : undefined;
  const location = attributes.location;
  return withoutUndefined({
    email: attributes.email,
    external_id: attributes.externalId,
    first_name: attributes.firstName,
    last_name: attributes.lastName,
    title: attributes.title,
    organization: attributes.organization,
    phone_number: phone,
    location: location && withoutUndefined({ ...location }),
    properties:
      attributes.properties && Object.keys(attributes.properties).length > 0 ? attributes.properties : undefined,
  });
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null));
}

function allCustomers(sandbox: RunningSandbox): Promise<Customer[]> {
  return readAllRecords<Customer>(sandbox, 'customers');
}

/** The stored profile's attributes that the importer sets, to compare with the expectation. */
function storedProfile(record: { attributes: Record<string, unknown> }): Record<string, unknown> {
  const { email, external_id, first_name, last_name, title, organization, phone_number, properties } =
    record.attributes;
  const location = withoutUndefined((record.attributes.location ?? {}) as Record<string, unknown>);
  return withoutUndefined({
    email,
    external_id,
    first_name,
    last_name,
    title,
    organization,
    phone_number,
    // Klaviyo answers an empty location for profiles that never had one.
    location: Object.keys(location).length > 0 ? location : undefined,
    properties: properties && Object.keys(properties).length > 0 ? properties : undefined,
  });
}

describe('customers import over HTTP against the sandbox', () => {
  let sandbox: RunningSandbox;
  let service: RunningService;
  let klaviyo: ReturnType<typeof emulatorInspector>;

  beforeAll(async () => {
    sandbox = await startSandbox({ customers: 10_000, rateLimitSpeed: 1 });
    klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
    service = await startService(sandbox.env);
  });

  afterAll(async () => {
    await service?.close();
    await sandbox?.stop();
  });

  it('imports 10,000 customers as 10,000 profiles equal to the mapping, with Klaviyo limits and spec validation', async () => {
    const started = await http<SyncAnswer>(`${service.url}/sync/customers`, 'POST');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ type: 'customers', mode: 'all', status: '/sync/customers/status' });

    const status = await waitForState(service.url, 'customers', ['completed', 'failed']);
    expect(status.state).toBe('completed');
    expect(status.counters).toMatchObject({ read: 10_000, sent: 10_000, succeeded: 10_000, failed: 0 });

    const customers = await allCustomers(sandbox);
    const profiles = await klaviyo.records('profiles');
    expect(profiles).toHaveLength(10_000);
    const byExternalId = new Map(profiles.map((profile) => [profile.attributes.external_id, profile]));
    for (const customer of customers) {
      const profile = byExternalId.get(customer.id);
      expect(profile).toBeDefined();
      expect(storedProfile(profile!)).toEqual(expectedProfile(customer));
    }
    expect(await klaviyo.rejected()).toEqual([]);

    // Captured logs of the whole run carry no email, phone number, key or token.
    const logs = service.logLines.join('\n');
    expect(logs).not.toMatch(/@example\.(com|org)/);
    expect(logs).not.toContain(sandbox.env.KLAVIYO_AUTH_KEY);
    expect(logs).not.toContain((JSON.parse(sandbox.env.CT_API_CLIENT) as { secret: string }).secret);
    expect(logs).not.toMatch(/\+\d{8,}/);
    expect(logs).not.toMatch(/Bearer|access_token/);
  });

  it('imports only the listed ids and counts unknown ids as failed', async () => {
    await klaviyo.reset();
    const customers = (await allCustomers(sandbox)).slice(0, 3);
    const ids = [...customers.map((customer) => customer.id), '00000000-0000-4000-8000-000000000000'];
    expect((await http<SyncAnswer>(`${service.url}/sync/customers`, 'POST', { ids })).status).toBe(202);
    const status = await waitForState(service.url, 'customers', ['completed', 'failed']);
    expect(status.mode).toBe('ids');
    expect(status.counters).toMatchObject({ read: 3, sent: 3, succeeded: 3, failed: 1 });
    expect(status.recentFailures).toEqual([
      { id: '00000000-0000-4000-8000-000000000000', reason: 'not found in commercetools' },
    ]);
    const profiles = await klaviyo.records('profiles');
    expect(profiles.map((profile) => profile.attributes.external_id).sort()).toEqual(
      customers.map((customer) => customer.id).sort(),
    );
  });

  it("fails only the profile Klaviyo refuses, with Klaviyo's reason, and imports every other customer", async () => {
    await klaviyo.reset();
    const customers = await allCustomers(sandbox);
    const refused = customers[4_321];
    expect((await klaviyo.configure({ refuseRecords: [refused.id] })).status).toBe(200);
    let status: RunStatus;
    try {
      expect((await http<SyncAnswer>(`${service.url}/sync/customers`, 'POST')).status).toBe(202);
      status = await waitForState(service.url, 'customers', ['completed', 'failed']);
    } finally {
      await klaviyo.configure({ refuseRecords: [] });
    }

    expect(status.state).toBe('completed');
    expect(status.counters).toMatchObject({ read: 10_000, sent: 9_999, succeeded: 9_999, failed: 1, skipped: 0 });
    expect(status.recentFailures).toStrictEqual([
      {
        id: refused.id,
        reason: stringMatching(
          /^Klaviyo refused the profile: invalid .+ at \/data\/attributes\/profiles\/data\/\d+\/attributes\/external_id$/,
        ),
      },
    ]);
    const landed = (await klaviyo.records('profiles')).map((profile) => profile.attributes.external_id);
    expect(landed.sort()).toStrictEqual(
      customers
        .map((customer) => customer.id)
        .filter((id) => id !== refused.id)
        .sort(),
    );
    expect(status.counters!.read).toBe(landed.length + status.counters!.failed + status.counters!.skipped);
  });

  it('refuses a bad body with 400 naming the field, an unknown type with 404, and stop when idle with 400', async () => {
    const typo = await http<SyncAnswer>(`${service.url}/sync/customers`, 'POST', { id: ['x'] });
    expect(typo.status).toBe(400);
    expect(typo.body.problems).toEqual([{ field: 'id', message: 'is not a known field' }]);
    const notJson = await fetch(`${service.url}/sync/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ids":',
    });
    expect(notJson.status).toBe(400);
    expect((await http<SyncAnswer>(`${service.url}/sync/shoes`, 'POST')).status).toBe(404);
    const idleStop = await http<SyncAnswer>(`${service.url}/sync/customers/stop`, 'POST');
    expect(idleStop.status).toBe(400);
    expect(idleStop.body.message).toContain('No customers import is running');
  });
});
