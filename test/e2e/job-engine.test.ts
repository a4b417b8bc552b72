import { checkpointContainer } from '../../src/engine/checkpoints';
import { lockContainer, lockKeys } from '../../src/engine/import-lock';
import {
  emulatorInspector,
  http,
  startService,
  waitForState,
  waitForStatus,
  type RunningService,
} from '../support/service-harness';
import { commercetoolsRequest, seed, startSandbox, type RunningSandbox } from '../support/sandbox-process';
import { freePort } from '../../sandbox/service-driver';
import { spawnService, waitUntilListening } from '../support/service-process';
import type { AllStatusesAnswer, ReadinessAnswer, RunStatus, SyncAnswer } from '../support/service-answers';
import { anyOf } from '../support/matchers';

// More customers than four import jobs hold, so a stop lands while jobs are still to be sent.
const customerCount = 50_000;

describe('job engine over HTTP: locks, stop and resume, crashes, faults, access', () => {
  let sandbox: RunningSandbox;
  let klaviyo: ReturnType<typeof emulatorInspector>;
  const services: RunningService[] = [];

  async function service(extraEnv: Record<string, string> = {}): Promise<RunningService> {
    const started = await startService(sandbox.env, { extraEnv });
    services.push(started);
    return started;
  }

  async function lockValue(): Promise<unknown> {
    const { status, body } = await commercetoolsRequest<{ value: unknown }>(
      sandbox,
      'GET',
      `/custom-objects/${lockContainer}/${lockKeys.customers}`,
    );
    return status === 404 ? undefined : body.value;
  }

  async function profileJobTotals(): Promise<number> {
    const jobs = await klaviyo.records('jobs');
    return jobs
      .filter((job) => job.type === 'profile-bulk-import-job')
      .reduce((sum, job) => sum + Number(job.attributes.total_count), 0);
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ customers: customerCount, rateLimitSpeed: 1 });
    klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
  });

  afterEach(async () => {
    await Promise.all(services.splice(0).map((running) => running.close()));
    await klaviyo.configure({ faults: { errorRate: 0, latencyMs: 0, dropRate: 0 }, rateLimitSpeed: 1 });
    await klaviyo.reset();
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('answers 423 to a second start, stops on request leaving a checkpoint and no lock, and resumes without sending a profile twice', async () => {
    const running = await service();
    // Slow answers keep the run going long enough to stop it half way.
    await klaviyo.configure({ faults: { latencyMs: 1_500 } });
    expect((await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST')).status).toBe(202);
    const second = await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST');
    expect(second.status).toBe(423);
    expect(second.body.message).toContain('already running');

    const deadline = Date.now() + 30_000;
    while (
      (await http<RunStatus>(`${running.url}/sync/customers/status`)).body.counters!.sent === 0 &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await http<SyncAnswer>(`${running.url}/sync/customers/stop`, 'POST')).status).toBe(200);
    const stopped = await waitForState(running.url, 'customers', ['stopped', 'completed', 'failed']);
    expect(stopped.state).toBe('stopped');
    expect(stopped.counters!.sent).toBeGreaterThan(0);
    expect(stopped.counters!.sent).toBeLessThan(customerCount);
    expect(await lockValue()).toBeUndefined();
    const checkpoint = await commercetoolsRequest<{ value: { state: string; ranges: unknown[] } }>(
      sandbox,
      'GET',
      `/custom-objects/${checkpointContainer}/customers`,
    );
    expect(checkpoint.body.value.state).toBe('stopped');

    await klaviyo.configure({ faults: { latencyMs: 0 } });
    const resumed = await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST', { resume: true });
    expect(resumed.status).toBe(202);
    const done = await waitForState(running.url, 'customers', ['completed', 'failed']);
    expect(done).toMatchObject({ state: 'completed', mode: 'resume', resumes: 'all' });
    expect(done.counters!.sent).toBe(customerCount);
    expect(done.counters!.succeeded + done.counters!.failed).toBe(customerCount);
    expect((await klaviyo.records('profiles')).length).toBe(customerCount);
    // Every customer went out in exactly one import job (phone numbers are checked before sending).
    expect(await profileJobTotals()).toBe(customerCount);
    expect((await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST', { resume: true })).status).toBe(400);
  });

  it('lets exactly one of two instances started at the same instant run the import', async () => {
    const [first, second] = await Promise.all([service(), service()]);
    const answers = await Promise.all([
      http<SyncAnswer>(`${first.url}/sync/customers`, 'POST'),
      http<SyncAnswer>(`${second.url}/sync/customers`, 'POST'),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 423]);
    const won = answers.find((answer) => answer.status === 202)!;
    const loser = answers.find((answer) => answer.status === 423)!;
    expect(loser.body.lock!.owner).toBeDefined();
    // The loser was refused by the winner's lock, not by some other run's.
    expect(loser.body.lock).toMatchObject({ owner: anyOf(String), runId: won.body.runId });
    const winner = answers[0].status === 202 ? first : second;
    expect(loser.body.lock!.owner).toBe(winner.service.instanceId);
    await waitForState(winner.url, 'customers', ['completed', 'failed']);
  });

  it('does not let a crashed run block the next one past the lock expiry, and resumes it from its checkpoint', async () => {
    // Long enough that the next instance surely starts while the dead run's lock still holds.
    const lockTtlSeconds = '10';
    const port = await freePort();
    const crashing = spawnService({
      ...sandbox.env,
      BULK_IMPORT_PORT: String(port),
      BULK_IMPORT_LOCK_TTL_SECONDS: lockTtlSeconds,
    });
    await waitUntilListening(crashing);
    await klaviyo.configure({ faults: { latencyMs: 1_000 } });
    expect((await http<SyncAnswer>(`${crashing.url}/sync/customers`, 'POST')).status).toBe(202);
    await waitForStatus(
      crashing.url,
      'customers',
      'a first batch accepted',
      (status) => (status.counters?.sent ?? 0) > 0,
    );
    crashing.child.kill('SIGKILL');
    await crashing.exited;
    await klaviyo.configure({ faults: { latencyMs: 0 } });

    const next = await service({ BULK_IMPORT_LOCK_TTL_SECONDS: lockTtlSeconds });
    const blocked = await http<SyncAnswer>(`${next.url}/sync/customers`, 'POST');
    expect(blocked.status).toBe(423);
    // Until its lock expires, a crashed instance cannot be told from a live one.
    const status = await http<RunStatus>(`${next.url}/sync/customers/status`);
    expect(status.body).toMatchObject({ state: 'running', runningOn: blocked.body.lock!.owner, lock: { live: true } });

    // Auto-resume waits for the lock to expire, then resumes.
    expect(await next.service.engine.resumeInterrupted()).toEqual(['customers']);
    const done = await waitForState(next.url, 'customers', ['completed', 'failed']);
    expect(done.state).toBe('completed');
    expect((await klaviyo.records('profiles')).length).toBe(customerCount);
  });

  it("on SIGTERM stops within Cloud Run's 10 s, saves the checkpoint and releases the lock; a restart with auto-resume finishes the run", async () => {
    const env = { ...sandbox.env, BULK_IMPORT_PORT: String(await freePort()) };
    const first = spawnService(env);
    await waitUntilListening(first);
    await klaviyo.configure({ faults: { latencyMs: 1_000 } });
    expect((await http<SyncAnswer>(`${first.url}/sync/customers`, 'POST')).status).toBe(202);
    await waitForStatus(first.url, 'customers', 'a first batch accepted', (status) => (status.counters?.sent ?? 0) > 0);
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(await lockValue()).toBeUndefined();
    const checkpoint = await commercetoolsRequest<{ value: { state: string } }>(
      sandbox,
      'GET',
      `/custom-objects/${checkpointContainer}/customers`,
    );
    expect(checkpoint.body.value.state).toBe('interrupted');

    await klaviyo.configure({ faults: { latencyMs: 0 } });
    const restarted = spawnService({ ...env, BULK_IMPORT_AUTO_RESUME: 'true' });
    await waitUntilListening(restarted);
    const done = await waitForState(restarted.url, 'customers', ['completed', 'failed']);
    expect(done.state).toBe('completed');
    expect((await klaviyo.records('profiles')).length).toBe(customerCount);
    expect(await profileJobTotals()).toBe(customerCount);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
  });

  it('shows a run of another instance as running there, and refuses to clear its live lock unless forced', async () => {
    const [first, second] = await Promise.all([service(), service()]);
    await klaviyo.configure({ faults: { latencyMs: 1_000 } });
    const started = await http<SyncAnswer>(`${first.url}/sync/customers`, 'POST');
    expect(started.status).toBe(202);
    const seen = await http<RunStatus>(`${second.url}/sync/customers/status`);
    expect(seen.body).toMatchObject({
      state: 'running',
      runId: started.body.runId,
      runningOn: first.service.instanceId,
    });
    const refused = await http<SyncAnswer>(`${second.url}/sync/customers/lock?confirm=customers`, 'DELETE');
    expect(refused.status).toBe(423);
    expect(refused.body.lock).toMatchObject({ owner: first.service.instanceId, live: true });
    expect(await lockValue()).toMatchObject({ runId: started.body.runId });
    expect((await http<SyncAnswer>(`${first.url}/sync/customers/stop`, 'POST')).status).toBe(200);
    expect((await waitForState(first.url, 'customers', ['stopped', 'completed', 'failed'])).state).toBe('stopped');
  });

  it('treats the original module\'s lock value "1" as held until it is cleared on purpose', async () => {
    const running = await service();
    const written = await commercetoolsRequest(sandbox, 'POST', '/custom-objects', {
      container: lockContainer,
      key: lockKeys.customers,
      value: '1',
    });
    expect(written.status).toBe(201);
    const blocked = await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST');
    expect(blocked.status).toBe(423);
    expect(blocked.body.lock!.legacy).toBe(true);
    expect((await http<SyncAnswer>(`${running.url}/sync/customers/lock`, 'DELETE')).status).toBe(400);
    const cleared = await http<SyncAnswer>(`${running.url}/sync/customers/lock?confirm=customers`, 'DELETE');
    expect(cleared).toEqual({ status: 200, body: { type: 'customers', cleared: true } });
    expect((await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST')).status).toBe(202);
    await waitForState(running.url, 'customers', ['completed', 'failed']);
  });

  it('completes with 5% Klaviyo server errors and real rate limits, every customer in Klaviyo or listed as failed', async () => {
    await seed(sandbox, { customers: 10_000, seed: 7 });
    // Seeded dice: the faults fall on the same requests in every run, so some always do.
    await klaviyo.configure({ faults: { errorRate: 0.05 }, rateLimitSpeed: 1, randomSeed: 7 });
    // Deduplication looks profiles up 100 emails at a time: enough requests for 5% to hit some.
    const running = await startService(sandbox.env, { settings: { deduplicateProfilesByEmail: true } });
    services.push(running);
    expect((await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST')).status).toBe(202);
    const done = await waitForState(running.url, 'customers', ['completed', 'failed'], 180_000);
    expect(done.state).toBe('completed');
    const profiles = await klaviyo.records('profiles');
    expect(profiles.length + done.counters!.failed).toBe(10_000);
    expect((await klaviyo.stats()).faultsInjected).toBeGreaterThan(0);
    await seed(sandbox, { customers: customerCount });
  });

  it('requires the API key on every /sync route when one is set', async () => {
    const running = await service({ BULK_IMPORT_API_KEY: 'let-me-in' });
    expect((await http<AllStatusesAnswer>(`${running.url}/sync/status`)).status).toBe(401);
    expect(
      (await http<SyncAnswer>(`${running.url}/sync/customers`, 'POST', {}, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    expect(
      (
        await http<AllStatusesAnswer>(`${running.url}/sync/status`, 'GET', undefined, {
          authorization: 'Bearer let-me-in',
        })
      ).status,
    ).toBe(200);
    expect((await http<ReadinessAnswer>(`${running.url}/healthz`)).status).toBe(200);
  });

  it('exits 1 at start naming each bad variable, never echoing a secret', async () => {
    const broken = spawnService({
      BULK_IMPORT_PORT: String(await freePort()),
      CT_API_URL: 'not a url',
      CT_API_CLIENT: '{"clientId":"c","secret":"hush-hush"}',
      KLAVIYO_AUTH_KEY: 'pk_hush_hush',
    });
    expect(await broken.exited).toBe(1);
    const output = broken.output();
    for (const variable of ['CT_API_URL', 'CT_AUTH_URL', 'CT_PROJECT_ID']) expect(output).toContain(`${variable}:`);
    expect(output).not.toContain('hush');
  });
});
