/**
 * Faults end to end, over HTTP against the sandbox: Klaviyo answers failing, commercetools down
 * mid-run, commercetools writes slower than the lock's heartbeat, the service killed or shut
 * down mid-run. Each test asserts where every record ended up, not how fast; the only time
 * bounds are the ones the service promises (a run ends within 30 s of commercetools going down,
 * the process exits within 10 s of SIGTERM), measured from their cause.
 */
import type { Customer } from '@commercetools/platform-sdk';
import { freePort } from '../../bench/service-driver';
import { checkpointContainer } from '../../src/engine/checkpoints';
import { lockContainer, lockKeys } from '../../src/engine/import-lock';
import { emulatorInspector, http, pollUntil, startService, waitForState, waitForStatus, type RunningService } from '../support/service-harness';
import {
  clearCommercetoolsFaults,
  commercetoolsRequest,
  readAllRecords,
  seed,
  setCommercetoolsFaults,
  startCommercetoolsOutage,
  startSandbox,
  waitForCommercetools,
  type RunningSandbox,
} from '../support/sandbox-process';
import { spawnService, waitUntilListening, type ServiceProcess } from '../support/service-process';

const noKlaviyoFaults = { errorRate: 0, errorStatuses: [503], latencyMs: 0, dropRate: 0, hangRate: 0, resetMidBodyRate: 0, slowMs: 0, slowRate: 1, operations: [] };

let sandbox: RunningSandbox;
let klaviyo: ReturnType<typeof emulatorInspector>;
const services: RunningService[] = [];
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
});

afterEach(async () => {
  for (const running of processes.splice(0)) running.child.kill('SIGKILL');
  // A test that failed mid-outage leaves commercetools down for the rest of it.
  await waitForCommercetools(sandbox);
  await Promise.all(services.splice(0).map((running) => running.close()));
  await clearCommercetoolsFaults(sandbox);
  await klaviyo.configure({ faults: noKlaviyoFaults, rateLimitSpeed: 1 });
  await klaviyo.reset();
});

afterAll(async () => {
  await sandbox?.stop();
});

async function inProcessService(extraEnv: Record<string, string> = {}): Promise<RunningService> {
  const running = await startService(sandbox.env, { extraEnv });
  services.push(running);
  return running;
}

async function serviceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const running = spawnService(env);
  processes.push(running);
  await waitUntilListening(running);
  return running;
}

async function startImport(serviceUrl: string, type: string, body?: unknown): Promise<string> {
  const started = await http(`${serviceUrl}/sync/${type}`, 'POST', body);
  expect(started.status).toBe(202);
  return started.body.runId;
}

async function customObject<T>(container: string, key: string): Promise<T | undefined> {
  const { status, body } = await commercetoolsRequest<{ value: T }>(sandbox, 'GET', `/custom-objects/${container}/${key}`);
  return status === 404 ? undefined : body.value;
}

/** Customer ids whose profile is in Klaviyo. */
async function customerIdsInKlaviyo(): Promise<string[]> {
  return (await klaviyo.records('profiles')).map((profile) => profile.attributes.external_id).filter(Boolean).sort();
}

async function allCustomerIds(): Promise<string[]> {
  return (await readAllRecords<Customer>(sandbox, 'customers')).map((customer) => customer.id).sort();
}

/** Klaviyo applies bulk jobs after answering; waits until every job the emulator holds is done. */
async function klaviyoJobsDone(): Promise<void> {
  await pollUntil('every Klaviyo job done', async () => ((await klaviyo.records('jobs')).every((job) => job.attributes.completed_at) ? true : undefined));
}

/** The counters of a finished run add up: every record read landed, failed with a reason, or was skipped. */
function expectCountsAddUp(status: any, landed: number): void {
  const { read, failed, skipped } = status.counters;
  expect({ type: status.type, read, accounted: landed + failed + skipped }).toEqual({ type: status.type, read, accounted: read });
  if (failed > 0) {
    expect(status.recentFailures.length).toBeGreaterThan(0);
    for (const failure of status.recentFailures) expect(failure).toEqual({ id: expect.any(String), reason: expect.any(String) });
  }
}

it('with 5% of Klaviyo answers failing (500s, 503s, dropped connections) every import completes, each record landed or listed as failed', async () => {
  await seed(sandbox, { seed: 21, categories: 30, products: 120, customers: 500, orders: 800 });
  // The dice are seeded so the same faults strike the same requests in every run.
  await klaviyo.configure({ faults: { errorRate: 0.04, errorStatuses: [500, 503], dropRate: 0.01 }, randomSeed: 5 });
  const service = await inProcessService();

  const landedByType = {
    categories: async () => (await klaviyo.records('catalog-categories')).length,
    products: async () => (await klaviyo.records('catalog-items')).length,
    customers: async () => (await customerIdsInKlaviyo()).length,
    orders: async () => {
      await klaviyoJobsDone();
      const placed = (await klaviyo.records('events')).filter((event) => event.meta.metric_name === 'Placed Order');
      return new Set(placed.map((event) => event.meta.unique_id)).size;
    },
  };
  for (const [type, landed] of Object.entries(landedByType)) {
    const runId = await startImport(service.url, type);
    const status = await waitForState(service.url, type, ['completed', 'failed', 'stopped']);
    expect({ type, state: status.state, error: status.error, runId: status.runId }).toEqual({ type, state: 'completed', error: undefined, runId });
    expectCountsAddUp(status, await landed());
  }
  // The customers import made a profile of every customer; the orders import may add guests' profiles.
  expect(await customerIdsInKlaviyo()).toEqual(expect.arrayContaining(await allCustomerIds()));
  expect((await klaviyo.stats()).faultsInjected).toBeGreaterThan(0);
}, 180_000);

it('commercetools down mid-run: the run fails within 30 s naming the refused connection, status keeps answering, and a resume afterwards misses nothing', async () => {
  const customerCount = 20_000;
  await seed(sandbox, { seed: 22, customers: customerCount });
  // Slow Klaviyo answers keep the readers going (they wait for room in the jobs) when commercetools goes down.
  await klaviyo.configure({ faults: { latencyMs: 1_000 } });
  // A lock that expires during the outage: the failed run cannot release it while commercetools is down.
  const service = await inProcessService({ BULK_IMPORT_LOCK_TTL_SECONDS: '10' });
  const runId = await startImport(service.url, 'customers');
  await waitForStatus(service.url, 'customers', 'a first job accepted', (status) => status.counters?.sent > 0);

  const outage = await startCommercetoolsOutage(sandbox, 40_000);
  const statusDuringOutage = async () => {
    const response = await fetch(`${service.url}/sync/customers/status`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
    return (await response.json()) as any;
  };
  const failed = await pollUntil('the run failed', async () => {
    const status = await statusDuringOutage();
    return status.state === 'failed' ? status : undefined;
  }, 30_000);
  expect(Date.now() - outage.beganAt).toBeLessThanOrEqual(30_000);
  expect(failed.runId).toBe(runId);
  expect(failed.error).toMatch(/ECONNREFUSED|connection refused/i);
  expect(failed.counters.read).toBeLessThan(customerCount);
  // The status keeps answering for the rest of the outage.
  while (Date.now() < outage.until.getTime() - 1_000) {
    expect((await statusDuringOutage()).state).toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }

  await waitForCommercetools(sandbox);
  await klaviyo.configure({ faults: { latencyMs: 0 } });
  await startImport(service.url, 'customers', { resume: true });
  const resumed = await waitForState(service.url, 'customers', ['completed', 'failed', 'stopped']);
  expect({ state: resumed.state, failed: resumed.counters.failed }).toEqual({ state: 'completed', failed: 0 });
  expect(await customerIdsInKlaviyo()).toEqual(await allCustomerIds());
}, 180_000);

it('SIGKILL mid-run, then a restart with auto-resume: the import finishes by itself once the dead run\'s lock expires', async () => {
  await seed(sandbox, { seed: 23, customers: 10_000 });
  const env = { ...sandbox.env, BULK_IMPORT_PORT: String(await freePort()), BULK_IMPORT_LOCK_TTL_SECONDS: '10' };
  const first = await serviceProcess(env);
  await klaviyo.configure({ faults: { latencyMs: 1_000 } });
  const runId = await startImport(first.url, 'customers');
  await waitForStatus(first.url, 'customers', 'a first job accepted', (status) => status.counters?.sent > 0);
  first.child.kill('SIGKILL');
  await first.exited;
  expect(await customObject(lockContainer, lockKeys.customers)).toMatchObject({ runId });

  await klaviyo.configure({ faults: { latencyMs: 0 } });
  const restarted = await serviceProcess({ ...env, BULK_IMPORT_AUTO_RESUME: 'true' });
  // Nothing but waiting: the restarted instance resumes on its own once the lock has expired.
  const done = await waitForState(restarted.url, 'customers', ['completed', 'failed'], 90_000);
  expect({ state: done.state, failed: done.counters.failed }).toEqual({ state: 'completed', failed: 0 });
  expect(await customerIdsInKlaviyo()).toEqual(await allCustomerIds());
  expect(await customObject(lockContainer, lockKeys.customers)).toBeUndefined();
}, 180_000);

it('commercetools writes slower than a third of the lock TTL do not fail a healthy run', async () => {
  await seed(sandbox, { seed: 24, customers: 10_000 });
  // TTL 10 s: the heartbeat renews every 3.3 s, and each lock or checkpoint write takes 4 s.
  await setCommercetoolsFaults(sandbox, { writeLatencyMs: 4_000 });
  // Slow Klaviyo answers make the run last several heartbeats.
  await klaviyo.configure({ faults: { latencyMs: 2_000 } });
  const service = await inProcessService({ BULK_IMPORT_LOCK_TTL_SECONDS: '10' });
  await startImport(service.url, 'customers');
  const done = await waitForState(service.url, 'customers', ['completed', 'failed', 'stopped'], 180_000);
  expect({ state: done.state, error: done.error, failed: done.counters.failed }).toEqual({ state: 'completed', error: undefined, failed: 0 });
  // The run outlived two heartbeat periods, so renewals met slow writes.
  expect(done.elapsedSeconds).toBeGreaterThanOrEqual(7);
  expect(await customerIdsInKlaviyo()).toEqual(await allCustomerIds());
  await clearCommercetoolsFaults(sandbox);
  expect(await customObject(lockContainer, lockKeys.customers)).toBeUndefined();
}, 240_000);

it('SIGTERM while a Klaviyo request hangs: the process exits within 10 s, its checkpoint saved as interrupted with positions, its lock released', async () => {
  await seed(sandbox, { seed: 25, customers: 10_000 });
  await klaviyo.configure({ faults: { hangRate: 1, operations: ['bulk_import_profiles'] } });
  const running = await serviceProcess({ ...sandbox.env, BULK_IMPORT_PORT: String(await freePort()) });
  const runId = await startImport(running.url, 'customers');
  await pollUntil('a profile import job request hanging', async () => ((await klaviyo.stats()).requests.byOperation.bulk_import_profiles > 0 ? true : undefined));

  const signalledAt = Date.now();
  running.child.kill('SIGTERM');
  let giveUp: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    running.exited.then((code) => ({ code })),
    new Promise<'still running'>((resolve) => (giveUp = setTimeout(() => resolve('still running'), 15_000))),
  ]);
  clearTimeout(giveUp);
  const exitedAfterMs = Date.now() - signalledAt;
  expect(exit).toEqual({ code: 0 });
  expect(exitedAfterMs).toBeLessThanOrEqual(10_000);

  const checkpoint = await customObject<{ runId: string; state: string; ranges: unknown[] }>(checkpointContainer, 'customers');
  expect(checkpoint).toMatchObject({ runId, state: 'interrupted' });
  expect(checkpoint!.ranges.length).toBeGreaterThan(0);
  expect(await customObject(lockContainer, lockKeys.customers)).toBeUndefined();
});
