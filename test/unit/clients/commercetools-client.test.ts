import type { IncomingMessage, ServerResponse } from 'node:http';
import { CommercetoolsClient } from '../../../src/clients/commercetools/commercetools-client';
import type { PageQuery } from '../../../src/clients/commercetools/keyset-pages';
import { PlatformError } from '../../../src/platform/platform-error';
import { stopGraceMs } from '../../../src/platform/request-scope';
import type { Config } from '../../../src/config/env';
import type { RetryPolicy } from '../../../src/platform/retry';
import { createLogger } from '../../../src/logging/logger';
import { startSandbox, type RunningSandbox } from '../../support/sandbox-process';
import { answer, eventually, refusingUrl, startLocalServer, type LocalServer } from '../../support/local-server';

const query: PageQuery = { where: [], sort: 'id asc', limit: 10, withTotal: false };
const oneAttempt: RetryPolicy = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
const quickRetries: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

function clientFor(
  url: string,
  options: { timeoutMs?: number; retryPolicy?: RetryPolicy; clientSecret?: string } = {},
) {
  const config: Config['commercetools'] = {
    apiUrl: url,
    authUrl: url,
    projectKey: 'project',
    clientId: 'client',
    clientSecret: options.clientSecret ?? 'secret',
    timeoutMs: options.timeoutMs ?? 200,
  };
  return new CommercetoolsClient(config, createLogger('silent'), options.retryPolicy ?? quickRetries);
}

const isTokenRequest = (request: IncomingMessage) => request.url?.startsWith('/oauth/') ?? false;
const grantToken = (response: ServerResponse) =>
  answer(response, 200, { access_token: 'token', token_type: 'Bearer', expires_in: 3600 });

/** A commercetools that grants tokens and hands every customers request to `customers` (its index among them). */
function commercetools(customers: (response: ServerResponse, index: number) => void): Promise<LocalServer> {
  let customerRequests = 0;
  return startLocalServer((request, response) => {
    if (isTokenRequest(request)) return grantToken(response);
    customers(response, customerRequests++);
  });
}

const never = () => undefined;
const customerPage = (response: ServerResponse) => answer(response, 200, { results: [{ id: 'c1' }] });
const readCustomers = (client: CommercetoolsClient, signal?: AbortSignal) =>
  client.queryPage('customers', signal)(query);

describe('CommercetoolsClient deadlines', () => {
  let server: LocalServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('gives up a request without an answer after the deadline and sends it again', async () => {
    server = await commercetools((response, index) => (index === 0 ? never() : customerPage(response)));
    await expect(readCustomers(clientFor(server.url))).resolves.toEqual([{ id: 'c1' }]);
    expect(server.paths.filter((path) => path.startsWith('/project/customers'))).toHaveLength(2);
    await eventually(() => server!.abandoned === 1);
  });

  it('counts an answer whose body stalls as no answer', async () => {
    server = await commercetools((response, index) => {
      if (index > 0) return customerPage(response);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"results": [');
    });
    await expect(readCustomers(clientFor(server.url))).resolves.toEqual([{ id: 'c1' }]);
  });

  it('says "no answer within 0.2 s" when no attempt is answered, as a retryable error', async () => {
    server = await commercetools(never);
    const failure = await readCustomers(clientFor(server.url)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({ status: undefined, code: 'timeout', kind: 'retry' });
    expect((failure as Error).message).toBe('commercetools queryCustomers failed: no answer within 0.2 s');
    expect(server.paths.filter((path) => path.startsWith('/project/customers'))).toHaveLength(3);
  });

  it('gives token requests the same deadline', async () => {
    server = await startLocalServer(never);
    await expect(readCustomers(clientFor(server.url, { retryPolicy: oneAttempt }))).rejects.toMatchObject({
      message: 'commercetools queryCustomers failed: no answer within 0.2 s',
    });
    expect(server.paths).toEqual(['/oauth/token']);
  });

  it('aborts a read that hangs as soon as the call is stopped, with the stop as reason and without retrying', async () => {
    server = await commercetools(never);
    const stop = new AbortController();
    const read = readCustomers(clientFor(server.url, { timeoutMs: 60_000 }), stop.signal);
    await server.received(2);
    const stopped = new Error('import stopped');
    const stoppedAt = Date.now();
    stop.abort(stopped);
    await expect(read).rejects.toBe(stopped);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    await eventually(() => server!.abandoned === 1);
    expect(server.paths).toHaveLength(2);
  });

  describe('a write in flight when the call is stopped', () => {
    const writeLock = (client: CommercetoolsClient, signal: AbortSignal) =>
      client.call(
        'writeCustomObject',
        () =>
          client.api
            .customObjects()
            .post({ body: { container: 'locks', key: 'customers', value: 1 } })
            .execute(),
        signal,
      );

    it('is given a moment to finish, so that its outcome is known', async () => {
      let stopNow: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (stopNow = resolve));
      server = await startLocalServer((request, response) => {
        if (isTokenRequest(request)) return grantToken(response);
        stopNow();
        setTimeout(() => answer(response, 201, { container: 'locks', key: 'customers', version: 1 }), 300);
      });
      const stop = new AbortController();
      const write = writeLock(clientFor(server.url, { timeoutMs: 60_000 }), stop.signal);
      await stopped;
      stop.abort(new Error('import stopped'));
      await expect(write).resolves.toMatchObject({ version: 1 });
    });

    it(`is cut off when it hangs past ${stopGraceMs / 1000} s after the stop, and not sent again`, async () => {
      server = await commercetools(never);
      const stop = new AbortController();
      const write = writeLock(clientFor(server.url, { timeoutMs: 60_000 }), stop.signal);
      await server.received(2);
      const stopped = new Error('import stopped');
      const stoppedAt = Date.now();
      stop.abort(stopped);
      await expect(write).rejects.toBe(stopped);
      expect(Date.now() - stoppedAt).toBeLessThan(stopGraceMs + 5_000);
      await eventually(() => server!.abandoned === 1);
      expect(server.paths).toHaveLength(2);
    });
  });

  it('cuts off a token request that hangs when the call is stopped', async () => {
    server = await startLocalServer(never);
    const stop = new AbortController();
    const read = readCustomers(clientFor(server.url, { timeoutMs: 60_000 }), stop.signal);
    await server.received(1);
    const stopped = new Error('import stopped');
    stop.abort(stopped);
    await expect(read).rejects.toBe(stopped);
    await eventually(() => server!.abandoned === 1);
    expect(server.paths).toEqual(['/oauth/token']);
  });

  it("reports what kept failing, not the time, when the caller's own deadline passes", async () => {
    const client = clientFor(await refusingUrl(), {
      retryPolicy: { maxAttempts: 1_000, baseDelayMs: 20, maxDelayMs: 50 },
    });
    await expect(readCustomers(client, AbortSignal.timeout(300))).rejects.toMatchObject({
      message: 'commercetools queryCustomers failed: connection refused (ECONNREFUSED)',
      code: 'ECONNREFUSED',
    });
  });

  it("says no answer came when the caller's own deadline cuts a hung request", async () => {
    server = await commercetools(never);
    const failure = await readCustomers(clientFor(server.url, { timeoutMs: 60_000 }), AbortSignal.timeout(300)).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as Error).message).toMatch(/^commercetools queryCustomers failed: no answer within \d+(\.\d)? s$/);
  });
});

describe('CommercetoolsClient errors name their cause', () => {
  let server: LocalServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([
    ['refused', 'connection refused (ECONNREFUSED)', async () => refusingUrl()],
    [
      'reset',
      'connection reset (ECONNRESET)',
      async () => (server = await startLocalServer((request) => request.socket.resetAndDestroy())).url,
    ],
    [
      'closed',
      'connection closed by the server (UND_ERR_SOCKET)',
      async () => (server = await startLocalServer((request) => request.socket.destroy())).url,
    ],
    ['to an unknown host', 'host not found (ENOTFOUND)', async () => 'http://no-such-host.invalid'],
  ])('a connection %s', async (_name, cause, url) => {
    const failure = await readCustomers(clientFor(await url(), { retryPolicy: oneAttempt, timeoutMs: 10_000 })).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({
      status: undefined,
      kind: 'retry',
      message: `commercetools queryCustomers failed: ${cause}`,
    });
  });

  it('a refused scope keeps status 400 and the OAuth code, and fails the run rather than records', async () => {
    const message = 'Invalid scopes: view_everything';
    server = await startLocalServer((_request, response) =>
      answer(response, 400, {
        statusCode: 400,
        message,
        errors: [{ code: 'invalid_scope', message }],
        error: 'invalid_scope',
        error_description: message,
      }),
    );
    await expect(readCustomers(clientFor(server.url))).rejects.toMatchObject({
      status: 400,
      code: 'invalid_scope',
      kind: 'fatal',
      message: `commercetools queryCustomers failed with 400: invalid_scope: ${message}`,
    });
    expect(server.paths).toEqual(['/oauth/token']);
  });

  it("an error answer keeps commercetools' code, message and Retry-After", async () => {
    const message = 'Service is temporarily unavailable.';
    server = await commercetools((response) =>
      answer(
        response,
        503,
        { statusCode: 503, message, errors: [{ code: 'ServiceUnavailable', message }] },
        { 'retry-after': '7' },
      ),
    );
    await expect(readCustomers(clientFor(server.url, { retryPolicy: oneAttempt }))).rejects.toMatchObject({
      status: 503,
      code: 'ServiceUnavailable',
      retryAfterMs: 7_000,
      message: `commercetools queryCustomers failed with 503: ServiceUnavailable: ${message}`,
    });
  });
});

describe('CommercetoolsClient against the commercetools sandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ withoutKlaviyo: true });
  });
  afterAll(() => sandbox.stop());

  const sandboxClient = (clientSecret: string) =>
    new CommercetoolsClient(
      {
        apiUrl: sandbox.ctApiUrl,
        authUrl: sandbox.env.CT_AUTH_URL,
        projectKey: sandbox.projectKey,
        clientId: sandbox.credentials.clientId,
        clientSecret,
        timeoutMs: 10_000,
      },
      createLogger('silent'),
      quickRetries,
    );

  it('reads through the deadline-bound fetch', async () => {
    await expect(readCustomers(sandboxClient(sandbox.credentials.secret))).resolves.toEqual([]);
  });

  it('a wrong client secret keeps 401 and invalid_client, and is not retried', async () => {
    const failure = await readCustomers(sandboxClient('wrong-secret')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({ status: 401, code: 'invalid_client', kind: 'fatal' });
    expect((failure as Error).message).toMatch(/^commercetools queryCustomers failed with 401: invalid_client: /);
  });

  it("a missing resource keeps 404 with commercetools' code and message", async () => {
    const client = sandboxClient(sandbox.credentials.secret);
    const read = client.call('getCustomObject', () =>
      client.api.customObjects().withContainerAndKey({ container: 'nothing', key: 'here' }).get().execute(),
    );
    await expect(read).rejects.toMatchObject({ status: 404, code: 'ResourceNotFound', kind: 'fatal' });
    await expect(read).rejects.toThrow(/^commercetools getCustomObject failed with 404: ResourceNotFound: \S+/);
  });
});
