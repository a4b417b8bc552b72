import { createServer, type Socket } from 'node:net';
import { freePort } from '../../sandbox/service-driver';
import { emulatorInspector, http, startService, type RunningService } from '../support/service-harness';
import { startSandbox, type RunningSandbox } from '../support/sandbox-process';
import type { ReadinessAnswer, SyncAnswer } from '../support/service-answers';

describe('GET /readyz and starts that cannot reach a platform', () => {
  let sandbox: RunningSandbox;
  const services: RunningService[] = [];

  async function service(extraEnv: Record<string, string> = {}): Promise<RunningService> {
    const started = await startService(sandbox.env, { extraEnv });
    services.push(started);
    return started;
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ customers: 5, orders: 5, categories: 3, products: 3 });
  });
  afterAll(async () => {
    await Promise.all(services.map((running) => running.close()));
    await sandbox.stop();
  });

  const wrongSecret = () => JSON.stringify({ ...sandbox.credentials, secret: 'not-the-secret' });

  it('answers 200 with every check when both platforms accept the credentials, and changes nothing', async () => {
    const klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
    const before = await klaviyo.stats();
    const running = await service();
    const answer = await http<ReadinessAnswer>(`${running.url}/readyz`);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ready');
    expect(
      answer.body.checks.map((check: { platform: string; check: string }) => `${check.platform} ${check.check}`),
    ).toEqual([
      'commercetools customers',
      'commercetools orders',
      'commercetools products',
      'commercetools categories',
      'commercetools payments',
      'commercetools custom objects (locks and checkpoints)',
      'klaviyo profiles',
      'klaviyo events',
      'klaviyo catalog items',
    ]);
    expect(answer.body.checks.every((check: { ok: boolean }) => check.ok)).toBe(true);
    const after = await klaviyo.stats();
    expect(after.records).toEqual(before.records);
    expect(after.rejected).toBe(before.rejected);
  });

  it('answers 503 naming commercetools and the cause when its secret is wrong', async () => {
    const running = await service({ CT_API_CLIENT: wrongSecret() });
    const answer = await http<ReadinessAnswer>(`${running.url}/readyz`);
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe(
      "commercetools refused the API client's credentials (401 invalid_client): check CT_API_CLIENT and CT_AUTH_URL",
    );
    const klaviyoChecks = answer.body.checks.filter((check: { platform: string }) => check.platform === 'klaviyo');
    expect(klaviyoChecks.every((check: { ok: boolean }) => check.ok)).toBe(true);
    expect(running.logLines.join('\n')).not.toContain('not-the-secret');
  });

  it('answers 503 naming Klaviyo and the cause when its key is wrong', async () => {
    const running = await service({ KLAVIYO_AUTH_KEY: 'pk_wrong_key' });
    const answer = await http<ReadinessAnswer>(`${running.url}/readyz`);
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe('Klaviyo refused the API key (401 authentication_failed): check KLAVIYO_AUTH_KEY');
    expect(running.logLines.join('\n')).not.toContain('pk_wrong_key');
  });

  it('answers 503 naming commercetools as unreachable when nothing listens at its address', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const running = await service({ CT_API_URL: closed, CT_AUTH_URL: closed });
    const answer = await http<ReadinessAnswer>(`${running.url}/readyz`);
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe(
      'commercetools could not be reached (connection refused): check CT_API_URL and CT_AUTH_URL',
    );
  });

  it('answers 503 within its deadline when commercetools takes connections but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const running = await service({ CT_API_URL: address, CT_AUTH_URL: address });
      const answer = await http<ReadinessAnswer>(`${running.url}/readyz`);
      expect(answer.status).toBe(503);
      expect(answer.body.message).toBe(
        'commercetools could not be reached (no answer within 5 s): check CT_API_URL and CT_AUTH_URL',
      );
      expect(answer.body.checks.filter((check: { ok: boolean }) => check.ok)).toHaveLength(3);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('needs the API key when one is set', async () => {
    const running = await service({ BULK_IMPORT_API_KEY: 'readiness-key' });
    expect((await http<ReadinessAnswer>(`${running.url}/readyz`)).status).toBe(401);
    expect(
      (
        await http<ReadinessAnswer>(`${running.url}/readyz`, 'GET', undefined, {
          authorization: 'Bearer readiness-key',
        })
      ).status,
    ).toBe(200);
  });

  it('answers a start with a wrong commercetools secret with 502 and what to check', async () => {
    const running = await service({ CT_API_CLIENT: wrongSecret() });
    const answer = await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST');
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({
      error: 'platform_error',
      platform: 'commercetools',
      message:
        "commercetools refused the API client's credentials (401 invalid_client): check CT_API_CLIENT and CT_AUTH_URL",
    });
  });
});
