import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { PlatformError } from '../../../src/platform/platform-error';
import { EngineRefusal, type RefusalReason } from '../../../src/engine/refusal';
import type { RunRequest } from '../../../src/engine/run-types';
import { createApp } from '../../../src/http/app';
import { problemsWith, recordingAnswers } from '../../support/api-description';
import type { ReadinessAnswer, SyncAnswer } from '../../support/service-answers';
import { createLogger } from '../../../src/logging/logger';
import type { Readiness } from '../../../src/readiness';
import { anyOf, stringContaining } from '../../support/matchers';

type AppOptions = Parameters<typeof createApp>[0];

const apiKey = 'test-api-key';
const auth = { authorization: `Bearer ${apiKey}` };

/** The app over real HTTP with an engine that records what it was asked to start. */
function serve() {
  const started: Array<{ type: string; request: RunRequest }> = [];
  const logLines: string[] = [];
  let startFailure: unknown;
  let readiness: Readiness = { ready: true, checks: [] };
  const engine = {
    start: async (type: string, request: RunRequest) => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- whatever the test chose, as a failing engine might throw it
      if (startFailure) throw startFailure;
      started.push({ type, request });
      return { runId: `run-${started.length}` };
    },
    stop: () => ({ runId: 'run-1' }),
    status: async (type: string) => ({ type, state: 'idle' }),
    clearLock: async () => true,
  } as unknown as AppOptions['engine'];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    }),
  );
  const { app, answers } = recordingAnswers(createApp({ engine, readiness: async () => readiness, logger, apiKey }));
  let server: Server;
  let url = '';
  return {
    started,
    logLines,
    answers,
    failStartWith: (error: unknown) => (startFailure = error),
    answerReadiness: (next: Readiness) => (readiness = next),
    url: () => url,
    listen: () =>
      new Promise<void>((resolve) => {
        server = app.listen(0, () => {
          url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          resolve();
        });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function send(url: string, init: RequestInit & { headers?: Record<string, string> }) {
  const response = await fetch(url, { ...init, headers: { ...auth, ...init.headers } });
  return { status: response.status, body: (await response.json()) as SyncAnswer & Partial<ReadinessAnswer> };
}

describe('HTTP API edges', () => {
  const api = serve();
  beforeAll(() => api.listen());
  afterAll(() => api.close());
  afterEach(() => {
    // Every answer, error answers included, is one docs/openapi.yaml describes.
    expect(api.answers.splice(0).flatMap(problemsWith)).toEqual([]);
  });
  beforeEach(() => {
    api.started.length = 0;
    api.failStartWith(undefined);
  });

  const idsBody = '{"ids":["x"]}';

  it.each([
    ['no Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['application/vnd.api+json', 'application/vnd.api+json'],
  ])('refuses a body sent with %s with 415 naming the accepted type, and starts nothing', async (_name, type) => {
    const answer = await send(`${api.url()}/sync/orders`, {
      method: 'POST',
      // A byte array, so that fetch adds no Content-Type of its own.
      body: new TextEncoder().encode(idsBody),
      headers: type ? { 'content-type': type } : {},
    });
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({
      error: 'unsupported_media_type',
      message: stringContaining('Content-Type: application/json'),
    });
    expect(api.started).toEqual([]);
  });

  it.each([
    ['application/json', 'application/json'],
    ['application/json with a charset', 'application/json; charset=utf-8'],
    ['upper-case media type', 'Application/JSON'],
  ])('accepts a JSON body sent as %s', async (_name, type) => {
    const answer = await send(`${api.url()}/sync/orders`, {
      method: 'POST',
      body: idsBody,
      headers: { 'content-type': type },
    });
    expect(answer.status).toBe(202);
    expect(api.started).toEqual([{ type: 'orders', request: { mode: 'ids', ids: ['x'] } }]);
  });

  it.each([
    ['no body at all', {}],
    ['an empty text body', { body: '', headers: { 'content-type': 'text/plain' } }],
    ['an empty JSON body', { body: '', headers: { 'content-type': 'application/json' } }],
  ])('starts a full import for %s', async (_name, init) => {
    const answer = await send(`${api.url()}/sync/customers`, { method: 'POST', ...init });
    expect(answer.status).toBe(202);
    expect(answer.body.mode).toBe('all');
  });

  it('reads a gzip-compressed JSON body', async () => {
    const answer = await send(`${api.url()}/sync/orders`, {
      method: 'POST',
      body: gzipSync(idsBody),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(answer.status).toBe(202);
    expect(answer.body.mode).toBe('ids');
  });

  it.each([
    [
      'a gzip body that does not decompress',
      { 'content-encoding': 'gzip' },
      new TextEncoder().encode(idsBody),
      400,
      'Content-Encoding',
    ],
    [
      'an unsupported Content-Encoding',
      { 'content-encoding': 'compress' },
      new TextEncoder().encode(idsBody),
      415,
      'gzip, deflate or br',
    ],
    [
      'an unsupported charset',
      { 'content-type': 'application/json; charset=latin2' },
      new TextEncoder().encode(idsBody),
      415,
      'UTF-8',
    ],
    ['JSON that does not parse', {}, new TextEncoder().encode('{"ids":'), 400, 'not valid JSON'],
  ])('answers %s with %i and starts nothing', async (_name, headers, body, status, words) => {
    const answer = await send(`${api.url()}/sync/orders`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    expect(answer.status).toBe(status);
    expect(answer.body.message).toContain(words);
    expect(api.started).toEqual([]);
  });

  it.each([`Bearer ${apiKey}`, `bearer ${apiKey}`, `BEARER  ${apiKey}`])(
    'accepts the key with the scheme written %j',
    async (authorization) => {
      expect((await send(`${api.url()}/sync/status`, { headers: { authorization } })).status).toBe(200);
    },
  );

  it.each([`Basic ${apiKey}`, 'Bearer wrong-key', `Bearer${apiKey}`, ''])(
    'refuses %j with 401',
    async (authorization) => {
      expect((await send(`${api.url()}/sync/status`, { headers: { authorization } })).status).toBe(401);
    },
  );

  it('needs the key for /readyz, not for /healthz', async () => {
    expect((await fetch(`${api.url()}/readyz`)).status).toBe(401);
    expect((await fetch(`${api.url()}/healthz`)).status).toBe(200);
  });

  it.each([
    [
      new PlatformError('commercetools', 'getCustomObject', 401, 'invalid_client'),
      502,
      {
        error: 'platform_error',
        platform: 'commercetools',
        message: stringContaining('check CT_API_CLIENT and CT_AUTH_URL'),
      },
    ],
    [
      new PlatformError('klaviyo', 'get_profiles', undefined, 'ECONNREFUSED'),
      503,
      {
        error: 'platform_unreachable',
        platform: 'klaviyo',
        message: 'Klaviyo could not be reached (connection refused): check KLAVIYO_API_URL',
      },
    ],
  ])('answers a start that failed with %s with %i and what to check', async (error, status, body) => {
    api.failStartWith(error);
    const answer = await send(`${api.url()}/sync/customers`, { method: 'POST' });
    expect(answer).toEqual({ status, body });
  });

  it.each<[RefusalReason, number, string]>([
    ['locked', 423, 'locked'],
    ['running-here', 423, 'locked'],
    ['not-running', 400, 'refused'],
    ['nothing-to-resume', 400, 'refused'],
    ['not-supported', 400, 'refused'],
    ['no-completed-run', 400, 'refused'],
  ])('answers an engine refusal for the reason %s with %i', async (reason, status, error) => {
    api.failStartWith(new EngineRefusal(reason, 'refused as the test asks', { runId: 'run-0' }));
    const answer = await send(`${api.url()}/sync/customers`, { method: 'POST' });
    expect(answer).toEqual({ status, body: { error, message: 'refused as the test asks', runId: 'run-0' } });
  });

  it('answers a bug with 500 and logs where it happened, without the data its message quotes', async () => {
    const bug = (() => {
      try {
        JSON.parse('{"email": "someone@example.com", oops}');
      } catch (error) {
        return error;
      }
    })();
    api.failStartWith(bug);
    const answer = await send(`${api.url()}/sync/customers`, { method: 'POST' });
    expect(answer.status).toBe(500);
    const logged = api.logLines.find((line) => line.includes('"Request failed"'));
    expect(JSON.parse(logged!)).toMatchObject({ error: 'SyntaxError', frames: anyOf(Array) });
    expect(api.logLines.join('')).not.toContain('someone@example.com');
  });

  it('answers /readyz with 200 and every check when both platforms are ready', async () => {
    api.answerReadiness({ ready: true, checks: [{ platform: 'commercetools', check: 'customers', ok: true }] });
    expect(await send(`${api.url()}/readyz`, {})).toEqual({
      status: 200,
      body: { status: 'ready', checks: [{ platform: 'commercetools', check: 'customers', ok: true }] },
    });
  });

  it('answers /readyz with 503 naming each distinct cause once', async () => {
    const refused = new PlatformError('commercetools', 'queryOrders', 401, 'invalid_client');
    api.answerReadiness({
      ready: false,
      checks: [
        { platform: 'commercetools', check: 'customers', ok: false, error: refused },
        { platform: 'commercetools', check: 'orders', ok: false, error: refused },
        { platform: 'klaviyo', check: 'profiles', ok: true },
      ],
    });
    const answer = await send(`${api.url()}/readyz`, {});
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe(
      "commercetools refused the API client's credentials (401 invalid_client): check CT_API_CLIENT and CT_AUTH_URL",
    );
    expect(answer.body.checks).toHaveLength(3);
    expect(answer.body.checks![2]).toEqual({ platform: 'klaviyo', check: 'profiles', ok: true });
  });
});
