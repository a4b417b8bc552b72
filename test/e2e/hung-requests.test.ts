/**
 * A commercetools that stops answering mid-run, through the service's HTTP API: a stop takes
 * effect at once although a read hangs, and without a stop the read is given up after the
 * request deadline and sent again. A proxy in front of the commercetools sandbox forwards every
 * request but leaves the chosen customer queries unanswered.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { eventually, startLocalServer, type LocalServer } from '../support/local-server';
import { http as request, startService, waitForState, type RunningService } from '../support/service-harness';
import { startSandbox, type RunningSandbox } from '../support/sandbox-process';

const customerCount = 30;

/** Sends the request on to `target` and its answer back. */
function forward(target: string, incoming: IncomingMessage, outgoing: ServerResponse): void {
  const upstream = http.request(
    new URL(incoming.url ?? '/', target),
    { method: incoming.method, headers: incoming.headers },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  upstream.on('error', () => outgoing.destroy());
  incoming.pipe(upstream);
}

describe('commercetools requests that get no answer', () => {
  let sandbox: RunningSandbox;
  let proxy: LocalServer | undefined;
  let service: RunningService | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ customers: customerCount, rateLimitSpeed: 0 });
  });
  afterAll(() => sandbox.stop());
  afterEach(async () => {
    await service?.close();
    await proxy?.close();
    service = proxy = undefined;
  });

  /** The service, reaching the commercetools API through a proxy that leaves unanswered the customer queries `hang` picks. */
  async function serviceBehindProxy(
    hang: (customerQuery: number) => boolean,
    timeoutSeconds: string,
  ): Promise<RunningService> {
    let customerQueries = 0;
    const customers = `/${sandbox.projectKey}/customers?`;
    proxy = await startLocalServer((incoming, outgoing) => {
      if (incoming.url?.startsWith(customers) && hang(customerQueries++)) return;
      forward(sandbox.ctApiUrl, incoming, outgoing);
    });
    service = await startService(sandbox.env, {
      extraEnv: { CT_API_URL: proxy.url, BULK_IMPORT_COMMERCETOOLS_TIMEOUT_SECONDS: timeoutSeconds },
    });
    return service;
  }

  it('a stop takes effect at once while a read hangs, far before the request deadline', async () => {
    const { url } = await serviceBehindProxy(() => true, '600');
    expect((await request(`${url}/sync/customers`, 'POST')).status).toBe(202);
    await eventually(() => proxy!.paths.some((path) => path.includes('/customers?')));
    expect((await request(`${url}/sync/customers/stop`, 'POST')).status).toBe(200);
    const status = await waitForState(url, 'customers', ['stopped', 'failed', 'completed'], 10_000);
    expect(status.state).toBe('stopped');
    expect(status.lock).toBeUndefined();
    await eventually(() => proxy!.abandoned > 0);
  });

  it('a read that hangs is given up after the request deadline and sent again, and the import completes', async () => {
    const { url } = await serviceBehindProxy((customerQuery) => customerQuery === 0, '0.5');
    expect((await request(`${url}/sync/customers`, 'POST')).status).toBe(202);
    const status = await waitForState(url, 'customers', ['stopped', 'failed', 'completed'], 60_000);
    expect(status).toMatchObject({ state: 'completed', counters: { read: customerCount, failed: 0 } });
    await eventually(() => proxy!.abandoned === 1);
  });
});
