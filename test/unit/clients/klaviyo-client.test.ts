import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { KlaviyoClient } from '../../../src/clients/klaviyo/klaviyo-client';
import { PlatformError } from '../../../src/platform/platform-error';
import type { RetryPolicy } from '../../../src/platform/retry';
import { createLogger } from '../../../src/logging/logger';
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../../../sandbox/klaviyo-emulator';
import { answer, eventually, refusingUrl, startLocalServer, type LocalServer } from '../../support/local-server';

const quickRetries: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

function clientFor(
  apiUrl: string,
  options: { timeoutMs?: number; retryPolicy?: RetryPolicy; apiKey?: string; logLines?: string[] } = {},
) {
  const logLines = options.logLines;
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logLines?.push(String(chunk));
      callback();
    },
  });
  return new KlaviyoClient({
    apiKey: options.apiKey ?? 'pk_test',
    apiUrl,
    timeoutMs: options.timeoutMs ?? 200,
    jobTimeoutMs: 60_000,
    logger: createLogger(logLines ? 'warn' : 'silent', destination),
    retryPolicy: options.retryPolicy ?? quickRetries,
  });
}

const getProfiles = (client: KlaviyoClient, signal?: AbortSignal) =>
  client.call('get_profiles', () => client.profiles.getProfiles(), signal);
const never = () => undefined;
const noProfiles = (response: ServerResponse) => answer(response, 200, { data: [], links: {} });
const throttled = (response: ServerResponse) =>
  answer(
    response,
    429,
    {
      errors: [
        { id: 'e', status: 429, code: 'throttled', title: 'Request was throttled.', detail: 'Try again later.' },
      ],
    },
    { 'retry-after': '60' },
  );

describe('KlaviyoClient deadlines and stops', () => {
  let server: LocalServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('gives up a request without an answer after the deadline and sends it again', async () => {
    server = await startLocalServer((_request, response, index) => (index === 0 ? never() : noProfiles(response)));
    await expect(getProfiles(clientFor(server.url))).resolves.toMatchObject({ body: { data: [] } });
    expect(server.paths).toHaveLength(2);
    await eventually(() => server!.abandoned === 1);
  });

  it('says "no answer within 0.2 s" when no attempt is answered, as a retryable error', async () => {
    server = await startLocalServer(never);
    const failure = await getProfiles(clientFor(server.url)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({
      status: undefined,
      code: 'timeout',
      kind: 'retry',
      message: 'klaviyo get_profiles failed: no answer within 0.2 s',
    });
    expect(server.paths).toHaveLength(3);
  });

  it('aborts a hung request as soon as the call is stopped, with the stop as reason and without retrying', async () => {
    server = await startLocalServer(never);
    const stop = new AbortController();
    const call = getProfiles(clientFor(server.url, { timeoutMs: 60_000 }), stop.signal);
    await server.received(1);
    const stopped = new Error('import stopped');
    const stoppedAt = Date.now();
    stop.abort(stopped);
    await expect(call).rejects.toBe(stopped);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    await eventually(() => server!.abandoned === 1);
    expect(server.paths).toHaveLength(1);
  });

  it('gives a write in flight when the call is stopped a moment to finish, so that its outcome is known', async () => {
    let stopNow: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stopNow = resolve));
    server = await startLocalServer((_request, response) => {
      stopNow();
      setTimeout(
        () => answer(response, 202, { data: { type: 'profile-bulk-import-job', id: 'job-1', attributes: {} } }),
        300,
      );
    });
    const client = clientFor(server.url, { timeoutMs: 60_000 });
    const stop = new AbortController();
    const write = client.call(
      'bulk_import_profiles',
      () =>
        client.profiles.bulkImportProfiles({
          data: { type: 'profile-bulk-import-job', attributes: { profiles: { data: [] } } },
        }),
      stop.signal,
    );
    await stopped;
    stop.abort(new Error('import stopped'));
    await expect(write).resolves.toMatchObject({ body: { data: { id: 'job-1' } } });
  });

  it("stops waiting out a 429's Retry-After when the call is stopped", async () => {
    server = await startLocalServer((_request, response) => throttled(response));
    const stop = new AbortController();
    const logLines: string[] = [];
    const call = getProfiles(clientFor(server.url, { logLines }), stop.signal);
    await eventually(() => logLines.some((line) => line.includes('"delayMs":60000')));
    const stopped = new Error('import stopped');
    stop.abort(stopped);
    await expect(call).rejects.toBe(stopped);
    expect(server.paths).toHaveLength(1);
  });

  it('answers a caller whose own deadline passes during Retry-After with the 429 it waited for', async () => {
    server = await startLocalServer((_request, response) => throttled(response));
    await expect(getProfiles(clientFor(server.url), AbortSignal.timeout(300))).rejects.toMatchObject({
      status: 429,
      code: 'throttled',
      retryAfterMs: 60_000,
    });
  });
});

describe('KlaviyoClient errors name their cause', () => {
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
    ['to an unknown host', 'host not found (ENOTFOUND)', async () => 'http://no-such-host.invalid'],
  ])('a connection %s', async (_name, cause, url) => {
    const failure = await getProfiles(
      clientFor(await url(), { retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, timeoutMs: 10_000 }),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({
      status: undefined,
      kind: 'retry',
      message: `klaviyo get_profiles failed: ${cause}`,
    });
  });

  describe('against the Klaviyo emulator', () => {
    let emulator: KlaviyoEmulator;
    beforeAll(async () => {
      emulator = await startKlaviyoEmulator({ apiKey: 'pk_test', rateLimitSpeed: 0 });
    });
    afterAll(() => emulator.close());

    it('answers through the deadline-bound session', async () => {
      await expect(getProfiles(clientFor(emulator.url, { timeoutMs: 10_000 }))).resolves.toMatchObject({
        body: { data: [] },
      });
    });

    it("a wrong key keeps 401 and Klaviyo's code, and is not retried", async () => {
      const failure = await getProfiles(clientFor(emulator.url, { apiKey: 'pk_wrong', timeoutMs: 10_000 })).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(PlatformError);
      expect(failure).toMatchObject({ status: 401, code: 'authentication_failed', kind: 'fatal' });
    });
  });
});
