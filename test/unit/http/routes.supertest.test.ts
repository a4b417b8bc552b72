import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import request from 'supertest';
import { PlatformError } from '../../../src/platform/platform-error';
import { createApp } from '../../../src/http/app';
import { fakeEngine, refusal } from './fake-engine';
import { problemsWith, recordingAnswers, type RecordedAnswer } from '../../support/api-description';
import { stringContaining } from '../../support/matchers';
import type { ReadinessAnswer, SyncAnswer } from '../../support/service-answers';

/** An answer's JSON body (supertest types it `any`). */
const bodyOf = (answer: { body: unknown }) => answer.body as SyncAnswer & Partial<ReadinessAnswer>;

/*
 * Every route, status and error body of the HTTP API, in process through supertest. Content types,
 * encodings, key schemes and the start's platform failures are covered over a real server in app.test.ts.
 */

type Readiness = Awaited<ReturnType<Parameters<typeof createApp>[0]['readiness']>>;

const apiKey = 'route-test-key';
const unauthorized = { error: 'unauthorized', message: 'Send Authorization: Bearer <BULK_IMPORT_API_KEY>.' };
const unknownRoute = { error: 'not_found', message: 'Unknown route. See the README for the endpoints.' };
const oneMegabyte = 1024 * 1024;

/** The answers of every app the tests built; each must be one docs/openapi.yaml describes. */
const allAnswers: RecordedAnswer[][] = [];
afterEach(() => {
  expect(allAnswers.splice(0).flat().flatMap(problemsWith)).toEqual([]);
});

/** `createApp` with a fake engine and readiness, its log captured, driven by supertest. */
function api(options: { apiKey?: string } = {}) {
  const fake = fakeEngine();
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    }),
  );
  let readiness: () => Promise<Readiness> = async () => ({ ready: true, checks: [] });
  let readinessCalls = 0;
  const { app, answers } = recordingAnswers(
    createApp({
      engine: fake.engine,
      logger,
      apiKey: options.apiKey,
      readiness: () => {
        readinessCalls++;
        return readiness();
      },
    }),
  );
  allAnswers.push(answers);
  return {
    ...fake,
    http: request(app),
    logLines,
    answerReadiness: (answer: () => Promise<Readiness>) => (readiness = answer),
    readinessCalls: () => readinessCalls,
  };
}

type Http = ReturnType<typeof api>['http'];

/** A thrown error as JSON.parse makes it: its message quotes the input it failed on. */
function syntaxErrorQuoting(input: string): unknown {
  try {
    JSON.parse(input);
  } catch (error) {
    return error;
  }
}

describe('POST /sync/{type}', () => {
  it.each([
    ['customers', undefined, { mode: 'all' }],
    ['customers', {}, { mode: 'all' }],
    ['customers', { ids: ['c-1', 'c-2'] }, { mode: 'ids', ids: ['c-1', 'c-2'] }],
    ['orders', { startId: 'o-5' }, { mode: 'startId', startId: 'o-5' }],
    ['orders', { resume: true }, { mode: 'resume' }],
    ['categories', undefined, { mode: 'all' }],
    ['categories', { deleteAll: true, confirmDeletion: 'categories' }, { mode: 'deleteAll' }],
    ['products', { deleteAll: true, confirmDeletion: 'products' }, { mode: 'deleteAll' }],
    ['products', { deleteAll: true, confirmDeletetion: 'products' }, { mode: 'deleteAll' }],
    ['products', { deleteAll: false }, { mode: 'all' }],
    ['products', { resume: true }, { mode: 'resume' }],
  ] as const)('starts %s with %j as %j and answers 202 with where to watch it', async (type, body, expected) => {
    const { http, calls } = api();
    const answer = body === undefined ? await http.post(`/sync/${type}`) : await http.post(`/sync/${type}`).send(body);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ runId: 'run-1', type, mode: expected.mode, status: `/sync/${type}/status` });
    expect(calls).toEqual([{ method: 'start', type, request: expected }]);
  });

  it('answers a typo with the body the README shows, and starts nothing', async () => {
    const { http, calls } = api();
    const answer = await http.post('/sync/customers').send({ id: ['x'] });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid_body',
      message: 'id: is not a known field',
      problems: [{ field: 'id', message: 'is not a known field' }],
    });
    expect(calls).toEqual([]);
  });

  it.each([
    ['customers', { ids: ['c-1'], limit: 5 }, 'limit', 'is not a known field'],
    ['customers', { startId: 'c-1' }, 'startId', 'is not a known field'],
    ['customers', { ids: ['c-1'], resume: true }, 'resume', 'cannot be combined with ids'],
    ['orders', { ids: ['o-1'], startId: 'o-1' }, 'startId', 'cannot be combined with ids'],
    ['orders', { startId: 'o-1', resume: true }, 'resume', 'cannot be combined with startId'],
    ['orders', { deleteAll: true, confirmDeletion: 'orders' }, 'deleteAll', 'is not a known field'],
    ['categories', { deleteAll: true }, 'confirmDeletion', 'must be "categories"'],
    ['categories', { confirmDeletion: 'categories' }, 'confirmDeletion', 'only goes with "deleteAll": true'],
    ['products', { deleteAll: true, confirmDeletion: 'categories' }, 'confirmDeletion', 'must be "products"'],
    ['products', { deleteAll: true, confirmDeletetion: 'product' }, 'confirmDeletion', 'must be "products"'],
    ['customers', ['c-1'], '(body)', 'must be a JSON object'],
  ] as const)('refuses %s with %j with 400 naming %s, and starts nothing', async (type, body, field, words) => {
    const { http, calls } = api();
    const answer = await http.post(`/sync/${type}`).send(body);
    expect(answer.status).toBe(400);
    expect(bodyOf(answer).error).toBe('invalid_body');
    expect(bodyOf(answer).message).toContain(`${field}: ${words}`);
    expect(bodyOf(answer).problems).toContainEqual({ field, message: stringContaining(words) });
    expect(calls).toEqual([]);
  });

  it('names every unknown field, not only the first', async () => {
    const { http } = api();
    const answer = await http.post('/sync/customers').send({ id: 'c-1', startId: 'c-1' });
    expect(answer.status).toBe(400);
    expect(bodyOf(answer).message).toBe('id: is not a known field; startId: is not a known field');
  });

  it('takes 10,000 ids in one body, within the size limit, and refuses one more by name', async () => {
    const { http, calls } = api();
    const ids = Array.from(
      { length: 10_000 },
      (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    );
    const accepted = await http.post('/sync/orders').send({ ids });
    expect(accepted.status).toBe(202);
    expect(calls).toEqual([{ method: 'start', type: 'orders', request: { mode: 'ids', ids } }]);

    const refused = await http.post('/sync/orders').send({ ids: [...ids, 'one-more'] });
    expect(refused.status).toBe(400);
    expect(bodyOf(refused).problems).toEqual([{ field: 'ids', message: 'takes at most 10,000 ids per request' }]);
    expect(calls).toHaveLength(1);
  });

  const overLimit = `{"ids":["${'a'.repeat(oneMegabyte)}"]}`;
  it.each([
    ['a JSON body', { 'content-type': 'application/json' }, Buffer.from(overLimit)],
    ['a text body', { 'content-type': 'text/plain' }, Buffer.from(overLimit)],
    [
      'a gzip body that inflates past it',
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      gzipSync(overLimit),
    ],
  ])('answers %s over 1 MB with 413, and starts nothing', async (_name, headers, body) => {
    const { http, calls } = api();
    // As is: supertest would otherwise send a Buffer declared as JSON as the JSON text of its bytes.
    const answer = await http
      .post('/sync/customers')
      .set(headers)
      // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- supertest passes the body through as it was given
      .serialize((bytes) => bytes)
      .send(body);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: 'invalid_body', message: 'The body is larger than 1 MB.' });
    expect(calls).toEqual([]);
  });

  it('answers 423 with the run that holds the import in this instance', async () => {
    const { http, fail } = api();
    fail(
      'start',
      refusal('running-here', 'A customers import is already running in this instance.', { runId: 'run-a' }),
    );
    const answer = await http.post('/sync/customers');
    expect(answer.status).toBe(423);
    expect(answer.body).toEqual({
      error: 'locked',
      message: 'A customers import is already running in this instance.',
      runId: 'run-a',
    });
  });

  it("answers 423 with the holder when another instance's lock is live", async () => {
    const { http, fail } = api();
    const lock = {
      owner: 'instance-b',
      runId: 'run-b',
      startedAt: '2026-11-30T10:00:00.000Z',
      expiresAt: '2026-11-30T10:01:00.000Z',
      live: true,
    };
    fail('start', refusal('locked', 'The orders import is locked by another run.', { lock }));
    const answer = await http.post('/sync/orders').send({ startId: 'o-1' });
    expect(answer.status).toBe(423);
    expect(answer.body).toEqual({ error: 'locked', message: 'The orders import is locked by another run.', lock });
  });

  it('answers 400 with the reason when there is nothing to resume', async () => {
    const { http, fail } = api();
    fail('start', refusal('nothing-to-resume', 'There is no orders run to resume.'));
    const answer = await http.post('/sync/orders').send({ resume: true });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'refused', message: 'There is no orders run to resume.' });
  });
});

describe('GET /sync/{type}/failures', () => {
  const chunks = [
    [
      {
        id: 'c-1',
        kind: 'failed' as const,
        reason: 'Klaviyo refused the profile: invalid "x", bad at /data/0',
        code: 'invalid',
        pointer: '/data/0',
      },
      { id: 'c-2', kind: 'skipped' as const, reason: 'left out' },
    ],
    [{ id: 'c-3', kind: 'failed' as const, reason: 'not found in commercetools' }],
  ];

  it('streams the last run as JSON lines by default, every chunk, naming the run', async () => {
    const { http, storeFailures, calls } = api();
    storeFailures('customers', 'run-7', chunks);
    const answer = await http.get('/sync/customers/failures');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(answer.headers['x-run-id']).toBe('run-7');
    expect(answer.headers['x-failures-not-stored']).toBe('0');
    expect(
      answer.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual(chunks.flat());
    expect(calls).toEqual([{ method: 'failures', type: 'customers', run: 'last' }]);
  });

  it.each([
    ['Accept: text/csv', (http: Http) => http.get('/sync/orders/failures?run=run-7').set('accept', 'text/csv')],
    ['?format=csv', (http: Http) => http.get('/sync/orders/failures?run=run-7&format=csv')],
  ])('answers CSV for %s, quoted where a field needs it', async (_name, send) => {
    const { http, storeFailures } = api();
    storeFailures('orders', 'run-7', chunks, 3);
    const answer = await send(http);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(answer.headers['x-failures-not-stored']).toBe('3');
    expect(answer.text).toBe(
      'id,kind,reason,code,pointer\r\n' +
        'c-1,failed,"Klaviyo refused the profile: invalid ""x"", bad at /data/0",invalid,/data/0\r\n' +
        'c-2,skipped,left out,,\r\n' +
        'c-3,failed,not found in commercetools,,\r\n',
    );
  });

  it('breaks the connection when reading breaks off after the first chunk, so the client sees the list is cut short', async () => {
    const { http, engine, logLines } = api();
    const [firstChunk] = chunks;
    async function* brokenOff() {
      yield await Promise.resolve(firstChunk);
      throw new PlatformError('commercetools', 'readFailures', undefined, 'no answer within 10 s');
    }
    engine.failures = (type) =>
      Promise.resolve({
        run: { runId: 'run-7', type, mode: 'all', startedAt: '', chunks: 2, stored: 3, unstored: 0 },
        entries: brokenOff(),
      });
    await expect(http.get('/sync/customers/failures')).rejects.toThrow();
    expect(logLines.join('')).toContain('Listing failures broke off');
  });

  it('answers 404 with a clear message for a run it does not know', async () => {
    const { http } = api();
    const answer = await http.get('/sync/customers/failures?run=no-such-run');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      error: 'not_found',
      message: 'No customers run no-such-run is known to the failure store.',
    });
  });

  it.each([
    ['/sync/customers/failures?run=a%2Fb', 'run'],
    ['/sync/customers/failures?run=a&run=b', 'run'],
    ['/sync/customers/failures?format=xml', 'format'],
  ])('answers %s with 400 naming %s, and asks the engine nothing', async (path, field) => {
    const { http, calls } = api();
    const answer = await http.get(path);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_body', problems: [{ field }] });
    expect(calls).toEqual([]);
  });

  it('starts a retry of the failed records of a run', async () => {
    const { http, calls } = api();
    const answer = await http.post('/sync/products').send({ retryFailed: true, run: 'run-7' });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ type: 'products', mode: 'retryFailed' });
    expect(calls).toEqual([{ method: 'start', type: 'products', request: { mode: 'retryFailed', run: 'run-7' } }]);
  });

  it('answers 400 when the run failed nothing', async () => {
    const { http, fail } = api();
    fail('start', refusal('nothing-to-retry', 'The customers run run-7 has no failed records stored.'));
    const answer = await http.post('/sync/customers').send({ retryFailed: true });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'refused', message: 'The customers run run-7 has no failed records stored.' });
  });
});

describe('POST /sync/{type}/stop', () => {
  it('answers 200 with the stopping run', async () => {
    const { http, calls } = api();
    const answer = await http.post('/sync/orders/stop');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      runId: 'stopped-run',
      type: 'orders',
      message: stringContaining('stops within seconds'),
    });
    expect(calls).toEqual([{ method: 'stop', type: 'orders' }]);
  });

  it('answers 400 when nothing runs', async () => {
    const { http, fail } = api();
    fail('stop', refusal('not-running', 'No orders import is running in this instance.'));
    const answer = await http.post('/sync/orders/stop');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'refused', message: 'No orders import is running in this instance.' });
  });
});

describe('GET /sync/{type}/status and /sync/status', () => {
  const running = {
    type: 'orders' as const,
    state: 'running' as const,
    runId: 'run-7',
    mode: 'ids' as const,
    counters: { read: 3, sent: 2, succeeded: 1, failed: 1, skipped: 0 },
    recentFailures: [{ id: 'o-9', reason: 'not found in commercetools' }],
  };

  it("answers one import's status as the engine gives it", async () => {
    const { http, calls, answerStatus } = api();
    answerStatus(running);
    const answer = await http.get('/sync/orders/status');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(running);
    expect(calls).toEqual([{ method: 'status', type: 'orders' }]);
  });

  it('answers all four imports in import order', async () => {
    const { http, answerStatus } = api();
    answerStatus(running);
    const answer = await http.get('/sync/status');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      imports: [
        { type: 'customers', state: 'idle' },
        running,
        { type: 'categories', state: 'idle' },
        { type: 'products', state: 'idle' },
      ],
    });
  });
});

describe('DELETE /sync/{type}/lock', () => {
  it.each([
    ['without confirm', '/sync/orders/lock'],
    ['confirming another type', '/sync/orders/lock?confirm=customers'],
    ['with force but without confirm', '/sync/orders/lock?force=true'],
  ])('answers 400 naming confirm %s, and clears nothing', async (_name, path) => {
    const { http, calls } = api();
    const answer = await http.delete(path);
    expect(answer.status).toBe(400);
    const problem = { field: 'confirm', message: 'must be "orders" (DELETE /sync/orders/lock?confirm=orders)' };
    expect(answer.body).toEqual({ error: 'invalid_body', message: `confirm: ${problem.message}`, problems: [problem] });
    expect(calls).toEqual([]);
  });

  it.each([
    { query: '?confirm=orders', cleared: true, force: false },
    { query: '?confirm=orders&force=true', cleared: true, force: true },
    { query: '?confirm=orders&force=1', cleared: true, force: false },
    { query: '?confirm=orders', cleared: false, force: false },
  ])('answers $query with cleared $cleared, asking the engine with force $force', async ({ query, cleared, force }) => {
    const { http, calls, answerCleared } = api();
    answerCleared(cleared);
    const answer = await http.delete(`/sync/orders/lock${query}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ type: 'orders', cleared });
    expect(calls).toEqual([{ method: 'clearLock', type: 'orders', force }]);
  });

  it('answers 423 with the holder while the lock is live', async () => {
    const { http, fail } = api();
    const lock = { owner: 'instance-b', runId: 'run-b', expiresAt: '2026-11-30T10:01:00.000Z', live: true };
    fail('clearLock', refusal('locked', 'The orders lock is live: instance instance-b renews it.', { lock }));
    const answer = await http.delete('/sync/orders/lock?confirm=orders');
    expect(answer.status).toBe(423);
    expect(answer.body).toEqual({
      error: 'locked',
      message: 'The orders lock is live: instance instance-b renews it.',
      lock,
    });
  });
});

describe('a failed platform call', () => {
  it.each([
    {
      route: 'DELETE /sync/orders/lock?confirm=orders',
      method: 'clearLock' as const,
      error: new PlatformError(
        'commercetools',
        'deleteCustomObject',
        403,
        'insufficient_scope',
        undefined,
        [],
        'insufficient_scope',
      ),
      status: 502,
      body: {
        error: 'platform_error',
        platform: 'commercetools',
        message:
          'commercetools answered 403 insufficient_scope: the API client needs the scope manage_key_value_documents',
      },
    },
    {
      route: 'DELETE /sync/orders/lock?confirm=orders',
      method: 'clearLock' as const,
      error: new PlatformError(
        'commercetools',
        'getCustomObject',
        undefined,
        'connection refused (ECONNREFUSED)',
        undefined,
        [],
        'ECONNREFUSED',
      ),
      status: 503,
      body: {
        error: 'platform_unreachable',
        platform: 'commercetools',
        message: 'commercetools could not be reached (connection refused): check CT_API_URL and CT_AUTH_URL',
      },
    },
    {
      route: 'GET /sync/status',
      method: 'status' as const,
      error: new PlatformError('commercetools', 'getCustomObject', 500, 'General', undefined, [], 'General'),
      status: 502,
      body: {
        error: 'platform_error',
        platform: 'commercetools',
        message: 'commercetools answered 500 General to getCustomObject, a failure on its side: try again later',
      },
    },
  ])(
    'answers $route with $status and what to check when $error.platform fails it',
    async ({ route, method, error, status, body }) => {
      const { http, fail, logLines } = api();
      fail(method, error);
      const [verb, path] = route.split(' ');
      const answer = await (verb === 'GET' ? http.get(path) : http.delete(path));
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual(body);
      const logged = logLines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'Request failed: a platform call failed');
      expect(logged).toMatchObject({ platform: error.platform, operation: error.operation });
    },
  );
});

describe('not found', () => {
  it.each([
    ['POST', '/sync/refunds'],
    ['POST', '/sync/refunds/stop'],
    ['GET', '/sync/refunds/status'],
    ['GET', '/sync/refunds/failures'],
    ['DELETE', '/sync/refunds/lock?confirm=refunds'],
  ])('answers %s %s with 404 naming the import types, and calls no engine', async (verb, path) => {
    const { http, calls } = api();
    const answer = await http[verb.toLowerCase() as 'post' | 'get' | 'delete'](path);
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      error: 'not_found',
      message: 'Unknown import type "refunds"; use one of customers, orders, categories, products.',
    });
    expect(calls).toEqual([]);
  });

  it.each([
    ['POST', '/'],
    ['GET', '/sync'],
    ['GET', '/sync/customers'],
    ['GET', '/sync/customers/stop'],
    ['DELETE', '/sync/customers'],
    ['POST', '/healthz'],
    ['POST', '/sync/customers/status'],
  ])('answers %s %s with 404 unknown route', async (verb, path) => {
    const { http, calls } = api();
    const answer = await http[verb.toLowerCase() as 'post' | 'get' | 'delete'](path);
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(unknownRoute);
    expect(calls).toEqual([]);
  });
});

describe('with an API key', () => {
  it.each([
    ['POST', '/sync/customers'],
    ['POST', '/sync/customers/stop'],
    ['GET', '/sync/customers/status'],
    ['GET', '/sync/status'],
    ['GET', '/sync/customers/failures'],
    ['DELETE', '/sync/customers/lock?confirm=customers&force=true'],
    ['GET', '/readyz'],
  ])('answers %s %s without the key with 401 and the scheme to use, and does nothing', async (verb, path) => {
    const { http, calls, readinessCalls } = api({ apiKey });
    const answer = await http[verb.toLowerCase() as 'post' | 'get' | 'delete'](path);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    expect(answer.body).toEqual(unauthorized);
    expect(calls).toEqual([]);
    expect(readinessCalls()).toBe(0);
  });

  it.each([
    [
      'a text body',
      (http: Http) => http.post('/sync/customers').set('content-type', 'text/plain').send('{"ids":["c-1"]}'),
    ],
    [
      'a body that is not JSON',
      (http: Http) => http.post('/sync/customers').set('content-type', 'application/json').send('{"ids":'),
    ],
    ['an unknown import type', (http: Http) => http.post('/sync/refunds')],
    ['an unknown route under /sync', (http: Http) => http.get('/sync/customers')],
  ])('answers %s sent with a wrong key with 401 before anything else, and logs no key', async (_name, send) => {
    const { http, calls, logLines } = api({ apiKey });
    const answer = await send(http).set('authorization', 'Bearer wrong-route-test-key');
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual(unauthorized);
    expect(calls).toEqual([]);
    expect(logLines.join('')).not.toContain('route-test-key');
  });

  it('answers /healthz without the key, with no engine or readiness call', async () => {
    const { http, calls, readinessCalls } = api({ apiKey });
    const answer = await http.get('/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
    expect(calls).toEqual([]);
    expect(readinessCalls()).toBe(0);
  });
});

describe('GET /readyz', () => {
  it('answers 503 joining distinct causes, each check with its own words', async () => {
    const { http, answerReadiness } = api();
    const scope = new PlatformError(
      'commercetools',
      'queryPayments',
      403,
      'insufficient_scope',
      undefined,
      [],
      'insufficient_scope',
    );
    const key = new PlatformError(
      'klaviyo',
      'get_profiles',
      401,
      'not_authenticated',
      undefined,
      [],
      'not_authenticated',
    );
    answerReadiness(async () => ({
      ready: false,
      checks: [
        { platform: 'commercetools', check: 'customers', ok: true },
        { platform: 'commercetools', check: 'payments', ok: false, error: scope },
        { platform: 'klaviyo', check: 'profiles', ok: false, error: key },
      ],
    }));
    const answer = await http.get('/readyz');
    const scopeWords = 'commercetools answered 403 insufficient_scope: the API client needs the scope view_payments';
    const keyWords = 'Klaviyo refused the API key (401 not_authenticated): check KLAVIYO_AUTH_KEY';
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      error: 'not_ready',
      message: `${scopeWords}; ${keyWords}`,
      checks: [
        { platform: 'commercetools', check: 'customers', ok: true },
        { platform: 'commercetools', check: 'payments', ok: false, message: scopeWords },
        { platform: 'klaviyo', check: 'profiles', ok: false, message: keyWords },
      ],
    });
  });

  it('answers a check that failed unexpectedly with 503 pointing to the log, which holds no data the error quotes', async () => {
    const { http, answerReadiness, logLines } = api();
    const bug = syntaxErrorQuoting('{"email": "someone@example.com", oops}');
    answerReadiness(async () => ({
      ready: false,
      checks: [{ platform: 'klaviyo', check: 'profiles', ok: false, error: bug }],
    }));
    const answer = await http.get('/readyz');
    expect(answer.status).toBe(503);
    expect(bodyOf(answer).message).toBe('the klaviyo profiles check failed unexpectedly; see the service log');
    const logged = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'Readiness check failed unexpectedly');
    expect(logged).toMatchObject({ platform: 'klaviyo', check: 'profiles', error: 'SyntaxError' });
    expect(logLines.join('')).not.toContain('someone@example.com');
  });

  it('answers 500 when the readiness probe itself fails', async () => {
    const { http, answerReadiness } = api();
    answerReadiness(async () => {
      throw new TypeError('probe broke');
    });
    const answer = await http.get('/readyz');
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: 'internal', message: 'The request failed; see the service log.' });
  });
});

describe('dry runs: POST /sync/{type} with dryRun, GET /sync/{type}/dry-run, POST /sync/{type}/dry-run/stop', () => {
  it.each([
    ['customers', { dryRun: true }, { mode: 'all' }],
    ['customers', { dryRun: true, ids: ['c-1'] }, { mode: 'ids', ids: ['c-1'] }],
    ['orders', { startId: 'o-5', dryRun: true }, { mode: 'startId', startId: 'o-5' }],
    ['products', { dryRun: true }, { mode: 'all' }],
  ] as const)('starts a dry run of %s with %j as %j, answering where to watch it', async (type, body, expected) => {
    const { http, calls } = api();
    const answer = await http.post(`/sync/${type}`).send(body);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      runId: 'dry-run-1',
      type,
      mode: expected.mode,
      dryRun: true,
      status: `/sync/${type}/dry-run`,
    });
    expect(calls).toEqual([{ method: 'startDryRun', type, request: expected }]);
  });

  it('starts a real run for "dryRun": false', async () => {
    const { http, calls } = api();
    expect((await http.post('/sync/customers').send({ dryRun: false })).status).toBe(202);
    expect(calls).toEqual([{ method: 'start', type: 'customers', request: { mode: 'all' } }]);
  });

  it.each([
    ['customers', { dryRun: true, resume: true }, 'resume', 'cannot be combined with dryRun'],
    [
      'products',
      { dryRun: true, deleteAll: true, confirmDeletion: 'products' },
      'deleteAll',
      'cannot be combined with dryRun',
    ],
    ['customers', { dryRun: 'yes' }, 'dryRun', 'must be true or false'],
    ['customers', { dryRun: true, id: ['c-1'] }, 'id', 'is not a known field'],
  ])('refuses %s with %j naming %s', async (type, body, field, message) => {
    const { http, calls } = api();
    const answer = await http.post(`/sync/${type}`).send(body);
    expect(answer.status).toBe(400);
    expect((answer.body as { problems: unknown }).problems).toEqual([{ field, message }]);
    expect(calls).toEqual([]);
  });

  it('answers the dry run status and stop from the dry run, not the real run', async () => {
    const { http, calls } = api();
    expect((await http.get('/sync/orders/dry-run')).body).toEqual({ type: 'orders', state: 'idle', dryRun: true });
    const stopped = await http.post('/sync/orders/dry-run/stop');
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ runId: 'stopped-dry-run', type: 'orders', dryRun: true });
    expect(calls).toEqual([
      { method: 'dryRunStatus', type: 'orders' },
      { method: 'stopDryRun', type: 'orders' },
    ]);
  });

  it('answers 400 when no dry run is running', async () => {
    const { http, fail } = api();
    fail('stopDryRun', refusal('not-running', 'No orders dry run is running in this instance.'));
    expect((await http.post('/sync/orders/dry-run/stop')).status).toBe(400);
  });
});
