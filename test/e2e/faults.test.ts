/**
 * Faults of the platforms end to end, over HTTP against the sandbox: Klaviyo answers failing,
 * commercetools down mid-run, commercetools writes slower than the lock's heartbeat. Each test
 * asserts where every record ended up, not how fast; the one time bound is the one the service
 * promises (a run ends within 30 s of commercetools going down), measured from its cause.
 */
import { pollUntil, waitForState, waitForStatus } from '../support/service-harness';
import { sandboxScenario } from '../support/sandbox-scenario';
import { lockContainer, lockKeys } from '../../src/engine/import-lock';
import {
  clearCommercetoolsFaults,
  seed,
  setCommercetoolsFaults,
  startCommercetoolsOutage,
  waitForCommercetools,
} from '../support/sandbox-process';
import { anyOf } from '../support/matchers';
import type { RunStatus } from '../support/service-answers';

const scenario = sandboxScenario();

/** Klaviyo applies bulk jobs after answering; waits until every job the emulator holds is done. */
async function klaviyoJobsDone(): Promise<void> {
  await pollUntil('every Klaviyo job done', async () =>
    (await scenario.klaviyo().records('jobs')).every((job) => job.attributes.completed_at) ? true : undefined,
  );
}

/** The counters of a finished run add up: every record read landed, failed with a reason, or was skipped. */
function expectCountsAddUp(status: RunStatus, landed: number): void {
  const { read, failed, skipped } = status.counters!;
  expect({ type: status.type, read, accounted: landed + failed + skipped }).toEqual({
    type: status.type,
    read,
    accounted: read,
  });
  if (failed > 0) {
    expect(status.recentFailures!.length).toBeGreaterThan(0);
    for (const failure of status.recentFailures!) expect(failure).toEqual({ id: anyOf(String), reason: anyOf(String) });
  }
}

it('with 5% of Klaviyo answers failing (500s, 503s, dropped connections) every import completes, each record landed or listed as failed', async () => {
  const klaviyo = scenario.klaviyo();
  await seed(scenario.sandbox(), { seed: 21, categories: 30, products: 120, customers: 500, orders: 800 });
  // The dice are seeded so the same faults strike the same requests in every run.
  await klaviyo.configure({ faults: { errorRate: 0.04, errorStatuses: [500, 503], dropRate: 0.01 }, randomSeed: 5 });
  const service = await scenario.inProcessService();

  const landedByType = {
    categories: async () => (await klaviyo.records('catalog-categories')).length,
    products: async () => (await klaviyo.records('catalog-items')).length,
    customers: async () => (await scenario.customerIdsInKlaviyo()).length,
    orders: async () => {
      await klaviyoJobsDone();
      const placed = (await klaviyo.records('events')).filter((event) => event.meta.metric_name === 'Placed Order');
      return new Set(placed.map((event) => event.meta.unique_id)).size;
    },
  };
  for (const [type, landed] of Object.entries(landedByType)) {
    const runId = await scenario.startImport(service.url, type);
    const status = await waitForState(service.url, type, ['completed', 'failed', 'stopped']);
    expect({ type, state: status.state, error: status.error, runId: status.runId }).toEqual({
      type,
      state: 'completed',
      error: undefined,
      runId,
    });
    expectCountsAddUp(status, await landed());
  }
  // The customers import made a profile of every customer; the orders import may add guests' profiles.
  expect(await scenario.customerIdsInKlaviyo()).toEqual(expect.arrayContaining(await scenario.allCustomerIds()));
  expect((await klaviyo.stats()).faultsInjected).toBeGreaterThan(0);
}, 180_000);

it('commercetools down mid-run: the run fails within 30 s naming the refused connection, status keeps answering, and a resume afterwards misses nothing', async () => {
  // More than the run holds before Klaviyo accepts (a job of 10,000 going out, one filling, a page
  // per reader), so reading is not over when commercetools goes down.
  const customerCount = 40_000;
  await seed(scenario.sandbox(), { seed: 22, customers: customerCount });
  // Slow Klaviyo answers keep the readers going (they wait for room in the jobs) when commercetools goes down.
  await scenario.klaviyo().configure({ faults: { latencyMs: 1_000 } });
  // A lock that expires during the outage: the failed run cannot release it while commercetools is down.
  const service = await scenario.inProcessService({ BULK_IMPORT_LOCK_TTL_SECONDS: '10' });
  const runId = await scenario.startImport(service.url, 'customers');
  await waitForStatus(service.url, 'customers', 'a first job accepted', (status) => (status.counters?.sent ?? 0) > 0);

  const outage = await startCommercetoolsOutage(scenario.sandbox(), 40_000);
  const statusDuringOutage = async () => {
    const response = await fetch(`${service.url}/sync/customers/status`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
    return (await response.json()) as RunStatus;
  };
  const failed = await pollUntil(
    'the run failed',
    async () => {
      const status = await statusDuringOutage();
      return status.state === 'failed' ? status : undefined;
    },
    30_000,
  );
  expect(Date.now() - outage.beganAt).toBeLessThanOrEqual(30_000);
  expect(failed.runId).toBe(runId);
  expect(failed.error).toMatch(/ECONNREFUSED|connection refused/i);
  expect(failed.counters!.read).toBeLessThan(customerCount);
  // The status keeps answering for the rest of the outage.
  while (Date.now() < outage.until.getTime() - 1_000) {
    expect((await statusDuringOutage()).state).toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }

  await waitForCommercetools(scenario.sandbox());
  await scenario.klaviyo().configure({ faults: { latencyMs: 0 } });
  await scenario.startImport(service.url, 'customers', { resume: true });
  const resumed = await waitForState(service.url, 'customers', ['completed', 'failed', 'stopped']);
  expect({ state: resumed.state, failed: resumed.counters!.failed }).toEqual({ state: 'completed', failed: 0 });
  expect(await scenario.customerIdsInKlaviyo()).toEqual(await scenario.allCustomerIds());
}, 180_000);

it('commercetools writes slower than a third of the lock TTL do not fail a healthy run', async () => {
  await seed(scenario.sandbox(), { seed: 24, customers: 10_000 });
  // TTL 10 s: the heartbeat renews every 3.3 s, and each lock or checkpoint write takes 4 s.
  await setCommercetoolsFaults(scenario.sandbox(), { writeLatencyMs: 4_000 });
  // Slow Klaviyo answers make the run last several heartbeats.
  await scenario.klaviyo().configure({ faults: { latencyMs: 2_000 } });
  const service = await scenario.inProcessService({ BULK_IMPORT_LOCK_TTL_SECONDS: '10' });
  await scenario.startImport(service.url, 'customers');
  const done = await waitForState(service.url, 'customers', ['completed', 'failed', 'stopped'], 180_000);
  expect({ state: done.state, error: done.error, failed: done.counters!.failed }).toEqual({
    state: 'completed',
    error: undefined,
    failed: 0,
  });
  // The run outlived two heartbeat periods, so renewals met slow writes.
  expect(done.elapsedSeconds).toBeGreaterThanOrEqual(7);
  expect(await scenario.customerIdsInKlaviyo()).toEqual(await scenario.allCustomerIds());
  await clearCommercetoolsFaults(scenario.sandbox());
  expect(await scenario.customObject(lockContainer, lockKeys.customers)).toBeUndefined();
}, 240_000);
