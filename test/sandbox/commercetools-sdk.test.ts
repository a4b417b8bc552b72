/**
 * The real SDK client (@commercetools/ts-client with the client credentials flow, and the
 * platform SDK's request builders) against the sandbox, exactly as the service talks to
 * commercetools: token from CT_AUTH_URL/oauth/token, then keyset paging over CT_API_URL.
 */
import { createApiBuilderFromCtpClient } from '@commercetools/platform-sdk';
import { ClientBuilder } from '@commercetools/ts-client';
import {
  type RunningSandbox,
  commercetoolsStats,
  resetCommercetoolsStats,
  startSandbox,
} from '../support/sandbox-process';

const CUSTOMERS = 1234;
const PAGE_SIZE = 100;

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ withoutKlaviyo: true, seed: 'sdk', customers: CUSTOMERS });
});

afterAll(async () => {
  await sandbox?.stop();
});

function apiRoot(credentials: { clientId: string; secret: string }) {
  const client = new ClientBuilder()
    .withClientCredentialsFlow({
      host: sandbox.env.CT_AUTH_URL,
      projectKey: sandbox.projectKey,
      credentials: { clientId: credentials.clientId, clientSecret: credentials.secret },
      httpClient: fetch,
    })
    .withHttpMiddleware({ host: sandbox.env.CT_API_URL, httpClient: fetch, enableRetry: false })
    .build();
  return createApiBuilderFromCtpClient(client).withProjectKey({ projectKey: sandbox.projectKey });
}

test('the SDK reads all customers by keyset paging: every customer once, in id order', async () => {
  await resetCommercetoolsStats(sandbox);
  const api = apiRoot(sandbox.credentials);
  const seen: string[] = [];
  let pages = 0;
  let lastId: string | undefined;
  for (;;) {
    const { body } = await api
      .customers()
      .get({
        queryArgs: {
          where: lastId ? `id > "${lastId}"` : undefined,
          sort: 'id asc',
          limit: PAGE_SIZE,
          withTotal: false,
        },
      })
      .execute();
    pages += 1;
    seen.push(...body.results.map((customer) => customer.id));
    if (body.results.length < PAGE_SIZE) break;
    lastId = body.results[body.results.length - 1].id;
  }

  expect(seen).toHaveLength(CUSTOMERS);
  expect(new Set(seen).size).toBe(CUSTOMERS);
  expect(seen).toEqual([...seen].sort());
  expect(pages).toBe(Math.ceil(CUSTOMERS / PAGE_SIZE));

  const stats = await commercetoolsStats(sandbox);
  expect(stats.requests.byResource.customers).toBe(pages);
  expect(stats.requests.total).toBe(pages);
  expect(stats.requests.oauth).toBe(1);
});

test('a client with the wrong secret gets no token', async () => {
  const api = apiRoot({ ...sandbox.credentials, secret: 'wrong' });
  await expect(
    api
      .customers()
      .get({ queryArgs: { limit: 1 } })
      .execute(),
  ).rejects.toMatchObject({ statusCode: 401 });
});

test('an API request without a token is refused', async () => {
  const response = await fetch(`${sandbox.ctApiUrl}/${sandbox.projectKey}/customers`);
  expect(response.status).toBe(401);
});
