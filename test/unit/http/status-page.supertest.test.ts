import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../src/http/app';
import { fakeEngine } from './fake-engine';

const apiKey = 'page-test-key';

function page() {
  const fake = fakeEngine();
  const app = createApp({
    engine: fake.engine,
    logger: pino(new Writable({ write: (_chunk, _encoding, done) => done() })),
    apiKey,
    readiness: () => Promise.resolve({ ready: true, checks: [] }),
  });
  return { http: request(app), calls: fake.calls };
}

describe('the status page', () => {
  it('answers GET / with the HTML page, without the API key, and asks the engine nothing', async () => {
    const { http, calls } = page();
    const answer = await http.get('/');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.text).toContain('<progress');
    expect(answer.text).toContain('status-page/status-page.js');
    expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
    expect(calls).toEqual([]);
  });

  it.each([
    ['/status-page/status-page.js', /^(application|text)\/javascript; charset=utf-8$/],
    ['/status-page/status-page.css', /^text\/css; charset=utf-8$/],
  ])('serves %s without the API key', async (path, contentType) => {
    const answer = await page().http.get(path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(contentType);
  });

  it('keeps the API calls the page makes behind the key', async () => {
    const { http } = page();
    expect((await http.get('/sync/status')).status).toBe(401);
    const answer = await http.get('/sync/status').set('Authorization', `Bearer ${apiKey}`);
    expect(answer.status).toBe(200);
    expect((answer.body as { imports: unknown[] }).imports).toHaveLength(4);
  });

  it('answers a file the page does not have with 404 unknown route', async () => {
    const answer = await page().http.get('/status-page/missing.js');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: 'not_found' });
  });
});
