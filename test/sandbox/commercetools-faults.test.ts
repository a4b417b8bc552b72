/** The commercetools sandbox's faults, over HTTP as a client meets them. */
import { fetchToken } from '../../sandbox/service-driver';
import {
  clearCommercetoolsFaults,
  commercetoolsFaults,
  commercetoolsRequest,
  setCommercetoolsFaults,
  startCommercetoolsOutage,
  startSandbox,
  waitForCommercetools,
  type RunningSandbox,
} from '../support/sandbox-process';
import { anyOf, stringContaining } from '../support/matchers';

let sandbox: RunningSandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startSandbox({ withoutKlaviyo: true, customers: 20 });
  token = await fetchToken(sandbox.env);
});
afterEach(async () => {
  await clearCommercetoolsFaults(sandbox);
});
afterAll(async () => {
  await sandbox?.stop();
});

/** A raw API request, so a test can give up on it. */
function api(
  pathInProject: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${sandbox.ctApiUrl}/${sandbox.projectKey}${pathInProject}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
}

test("errorRate answers API requests with the server errors of errorStatuses, in commercetools' error shape; tokens are not faulted", async () => {
  const before = (await commercetoolsFaults(sandbox)).injected;
  await setCommercetoolsFaults(sandbox, { errorRate: 1, errorStatuses: [500, 503] });
  const statuses = new Set<number>();
  for (let index = 0; index < 30; index++) {
    const response = await api('/customers?limit=1');
    const body = await response.json();
    expect(body).toMatchObject({
      statusCode: response.status,
      errors: [{ message: stringContaining('Injected fault') }],
    });
    statuses.add(response.status);
  }
  expect(statuses).toEqual(new Set([500, 503]));
  expect(await fetchToken(sandbox.env)).toEqual(anyOf(String));
  expect((await commercetoolsFaults(sandbox)).injected - before).toBe(30);
  await clearCommercetoolsFaults(sandbox);
  expect((await api('/customers?limit=1')).status).toBe(200);
});

test('hangRate holds API requests without an answer until the client gives up; the control API still answers', async () => {
  await setCommercetoolsFaults(sandbox, { hangRate: 1 });
  await expect(api('/customers?limit=1', { signal: AbortSignal.timeout(500) })).rejects.toThrow();
  expect((await commercetoolsFaults(sandbox)).faults.hangRate).toBe(1);
  await clearCommercetoolsFaults(sandbox);
  expect((await api('/customers?limit=1')).status).toBe(200);
});

test('writeLatencyMs answers custom-object writes that much later, and they take effect', async () => {
  await setCommercetoolsFaults(sandbox, { writeLatencyMs: 700 });
  const startedAt = Date.now();
  const written = await commercetoolsRequest(sandbox, 'POST', '/custom-objects', {
    container: 'faults-test',
    key: 'slow',
    value: { n: 1 },
  });
  expect(written.status).toBe(201);
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(700);
  await clearCommercetoolsFaults(sandbox);
  expect(
    (await commercetoolsRequest<{ value: unknown }>(sandbox, 'GET', '/custom-objects/faults-test/slow')).body.value,
  ).toEqual({ n: 1 });
});

test('an outage refuses connections on the port, then the same port serves the same data again', async () => {
  await commercetoolsRequest(sandbox, 'POST', '/custom-objects', {
    container: 'faults-test',
    key: 'kept',
    value: 'before the outage',
  });
  const customersBefore = (
    await commercetoolsRequest<{ results: { id: string }[] }>(sandbox, 'GET', '/customers?limit=500')
  ).body.results;

  const outage = await startCommercetoolsOutage(sandbox, 3_000);
  expect(outage.until.getTime()).toBeGreaterThan(outage.beganAt);
  const refused = await api('/customers?limit=1').then(
    () => undefined,
    (error: Error & { cause?: { code?: string } }) => error.cause?.code,
  );
  expect(refused).toBe('ECONNREFUSED');

  await waitForCommercetools(sandbox);
  expect((await commercetoolsFaults(sandbox)).outageUntil).toBeNull();
  const customersAfter = (
    await commercetoolsRequest<{ results: { id: string }[] }>(sandbox, 'GET', '/customers?limit=500')
  ).body.results;
  expect(customersAfter.map((customer) => customer.id)).toEqual(customersBefore.map((customer) => customer.id));
  expect(customersAfter).toHaveLength(20);
  expect(
    (await commercetoolsRequest<{ value: unknown }>(sandbox, 'GET', '/custom-objects/faults-test/kept')).body.value,
  ).toBe('before the outage');
});

test('a fault option the sandbox does not know, or a share outside 0..1, is refused with 400', async () => {
  for (const faults of [{ hangrate: 1 }, { errorRate: 1.5 }, { errorStatuses: [] }]) {
    const response = await fetch(`${sandbox.ctApiUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^faults: /);
  }
  expect((await commercetoolsFaults(sandbox)).faults).toEqual({
    errorRate: 0,
    errorStatuses: [503],
    hangRate: 0,
    writeLatencyMs: 0,
  });
});
