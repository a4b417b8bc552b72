/** The Klaviyo emulator's transport faults, seen from a client over HTTP. */
import {
  API_KEY,
  eventually,
  REVISION,
  startTestEmulator,
  type EmulatorClient,
} from '../../sandbox/klaviyo-emulator/testing';
import { noFaults } from '../../sandbox/klaviyo-emulator/faults';
import { stringContaining } from '../support/matchers';
import type { ErrorAnswer } from '../support/klaviyo-answers';

let client: EmulatorClient;

beforeAll(async () => {
  client = await startTestEmulator({ randomSeed: 11 });
});
afterAll(() => client.emulator.close());
beforeEach(async () => {
  client.emulator.configure({
    faults: noFaults,
  });
  client.emulator.reset();
});

const profile = (email: string) => ({ data: { type: 'profile', attributes: { email } } });

/** A raw fetch, so a test sees the answer's headers and body separately and can give up early. */
function send(path: string, init: { body?: unknown; signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(client.emulator.url + path, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      Authorization: `Klaviyo-API-Key ${API_KEY}`,
      revision: REVISION,
      'Content-Type': 'application/vnd.api+json',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
}

test("errorStatuses mixes server errors: each answer is one of them, in Klaviyo's error shape, and nothing is handled", async () => {
  client.emulator.configure({ faults: { errorRate: 1, errorStatuses: [500, 503] } });
  const answers = [];
  for (let index = 0; index < 40; index++)
    answers.push(await client.request<ErrorAnswer>('/api/profiles', { body: profile(`p${index}@example.com`) }));
  expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([500, 503]));
  for (const answer of answers)
    expect(answer.body.errors[0]).toMatchObject({
      status: answer.status,
      detail: stringContaining('Injected fault'),
    });
  expect(client.emulator.state.profiles.size).toBe(0);
  expect(client.emulator.stats().faultsInjected).toBe(40);
});

test('operations limits the faults to those operationIds', async () => {
  client.emulator.configure({ faults: { errorRate: 1, operations: ['get_metrics'] } });
  expect((await client.request('/api/metrics')).status).toBe(503);
  expect((await client.request('/api/profiles')).status).toBe(200);
  expect(client.emulator.stats().faultsInjected).toBe(1);
});

test('hangRate holds a request unhandled until its client gives up', async () => {
  // An emulator of its own: the held request must not outlive this test.
  const hanging = await startTestEmulator({ faults: { hangRate: 1 } });
  try {
    const request = fetch(`${hanging.emulator.url}/api/profiles`, {
      method: 'POST',
      headers: {
        Authorization: `Klaviyo-API-Key ${API_KEY}`,
        revision: REVISION,
        'Content-Type': 'application/vnd.api+json',
      },
      body: JSON.stringify(profile('hung@example.com')),
      signal: AbortSignal.timeout(500),
    });
    await expect(request).rejects.toThrow();
    expect(hanging.emulator.stats()).toMatchObject({
      faultsInjected: 1,
      requests: { byOperation: { create_profile: 1 } },
    });
    expect(hanging.emulator.state.profiles.size).toBe(0);
  } finally {
    await hanging.emulator.close();
  }
});

test('lifting the hang lets held requests through to be handled and answered', async () => {
  await client.request('/__emulator/config', { body: { faults: { hangRate: 1, operations: ['create_profile'] } } });
  const held = send('/api/profiles', { body: profile('held@example.com') });
  await eventually(async () => (client.emulator.stats().requests.byOperation.create_profile === 1 ? true : undefined));
  // Other operations are not held.
  expect((await client.request('/api/metrics')).status).toBe(200);
  expect(client.emulator.state.profiles.size).toBe(0);
  await client.request('/__emulator/config', { body: { faults: { hangRate: 0 } } });
  expect((await held).status).toBe(201);
  expect(client.emulator.state.profiles.size).toBe(1);
});

test('resetMidBodyRate handles the request, then breaks the answer off after the headers and part of the body', async () => {
  client.emulator.configure({ faults: { resetMidBodyRate: 1 } });
  const response = await send('/api/profiles', { body: profile('cut@example.com') });
  expect(response.status).toBe(201);
  await expect(response.text()).rejects.toThrow();
  expect(client.emulator.state.profiles.size).toBe(1);
  expect(client.emulator.stats().faultsInjected).toBe(1);
});

test('resetMidBodyRate also breaks off an answer without a body (202 of a bulk job)', async () => {
  client.emulator.configure({ faults: { resetMidBodyRate: 1, operations: ['bulk_create_events'] } });
  const event = {
    type: 'event',
    attributes: {
      properties: {},
      unique_id: 'o-1',
      metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
    },
  };
  const entry = {
    type: 'event-bulk-create',
    attributes: {
      profile: { data: { type: 'profile', attributes: { email: 'e@example.com' } } },
      events: { data: [event] },
    },
  };
  const events = { data: { type: 'event-bulk-create-job', attributes: { 'events-bulk-create': { data: [entry] } } } };
  // Either the headers never arrive complete or the body does not: the client cannot take it for an answer.
  await expect(
    send('/api/event-bulk-create-jobs', { body: events }).then((response) => response.text()),
  ).rejects.toThrow();
  expect(client.emulator.stats()).toMatchObject({ faultsInjected: 1, rejected: 0 });
  expect(client.emulator.state.jobs.size).toBe(1);
});

test('slowMs handles the request at once and holds the answer back, past a client deadline', async () => {
  client.emulator.configure({ faults: { slowMs: 60_000 } });
  await expect(
    send('/api/profiles', { body: profile('slow@example.com'), signal: AbortSignal.timeout(1_000) }),
  ).rejects.toThrow(/timeout|aborted/i);
  expect(client.emulator.state.profiles.size).toBe(1);
  client.emulator.configure({ faults: { slowMs: 200 } });
  expect((await send('/api/profiles', { body: profile('patient@example.com') })).status).toBe(201);
  expect(client.emulator.stats().faultsInjected).toBe(2);
});

test('randomSeed makes a fault pattern repeat', async () => {
  const pattern = async () => {
    await client.request('/__emulator/config', { body: { randomSeed: 3, faults: { errorRate: 0.5 } } });
    const statuses = [];
    for (let index = 0; index < 20; index++) statuses.push((await client.request('/api/metrics')).status);
    return statuses;
  };
  const first = await pattern();
  expect(new Set(first)).toEqual(new Set([200, 503]));
  expect(await pattern()).toEqual(first);
});

test('a fault option the emulator does not know, or a share outside 0..1, is refused with 400 and changes nothing', async () => {
  for (const faults of [{ hangrate: 1 }, { errorRate: 2 }, { errorStatuses: [404] }]) {
    const refused = await client.request<ErrorAnswer>('/__emulator/config', { body: { faults } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].detail).toMatch(/^faults: /);
  }
  expect((await client.request('/api/metrics')).status).toBe(200);
  expect(client.emulator.stats().faultsInjected).toBe(0);
});
