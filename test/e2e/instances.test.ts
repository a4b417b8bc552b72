/**
 * Two instances of the service on the same commercetools project and Klaviyo account: one runs an
 * import, the other says where it runs and refuses every call that would run it a second time.
 * Over HTTP against the sandbox; the first instance's run is held mid-way by hanging its Klaviyo
 * import-job requests, so it is surely still running while the second one is asked.
 */
import { lockContainer, lockKeys } from '../../src/engine/import-lock';
import { http, pollUntil, waitForState } from '../support/service-harness';
import { seed } from '../support/sandbox-process';
import { sandboxScenario } from '../support/sandbox-scenario';
import type { RunStatus, SyncAnswer } from '../support/service-answers';

const customerCount = 5_000;
const scenario = sandboxScenario();

const lockValue = () => scenario.customObject<{ owner: string; runId: string }>(lockContainer, lockKeys.customers);

/** Customers sent in profile import jobs; each customer goes out in exactly one job when one run imports them. */
async function profilesInImportJobs(): Promise<number> {
  const jobs = await scenario.klaviyo().records('jobs');
  return jobs
    .filter((job) => job.type === 'profile-bulk-import-job')
    .reduce((sum, job) => sum + Number(job.attributes.total_count), 0);
}

it('one instance runs an import; the other says it runs there and no call on it makes the import run twice', async () => {
  await seed(scenario.sandbox(), { seed: 31, customers: customerCount });
  const first = await scenario.inProcessService({ BULK_IMPORT_INSTANCE_ID: 'instance-a' });
  const second = await scenario.inProcessService({ BULK_IMPORT_INSTANCE_ID: 'instance-b' });
  const klaviyo = scenario.klaviyo();
  await klaviyo.configure({ faults: { hangRate: 1, operations: ['bulk_import_profiles'] } });
  const started = await http<SyncAnswer>(`${first.url}/sync/customers`, 'POST');
  expect(started.status).toBe(202);
  const { runId } = started.body;
  await pollUntil('the first import job held at Klaviyo', async () =>
    (await klaviyo.stats()).requests.byOperation.bulk_import_profiles > 0 ? true : undefined,
  );

  const seen = await http<RunStatus>(`${second.url}/sync/customers/status`);
  expect(seen.status).toBe(200);
  expect(seen.body).toMatchObject({ state: 'running', runId, runningOn: 'instance-a' });

  const start = await http<SyncAnswer>(`${second.url}/sync/customers`, 'POST');
  expect({ status: start.status, owner: start.body.lock?.owner }).toEqual({ status: 423, owner: 'instance-a' });
  const resume = await http<SyncAnswer>(`${second.url}/sync/customers`, 'POST', { resume: true });
  expect(resume.status).toBe(423);
  // Clearing a live lock held elsewhere takes more than the confirmation.
  const clear = await http<SyncAnswer>(`${second.url}/sync/customers/lock?confirm=customers`, 'DELETE');
  expect(clear.status).toBe(423);
  const startAfterClear = await http<SyncAnswer>(`${second.url}/sync/customers`, 'POST');
  expect(startAfterClear.status).toBe(423);

  expect(await lockValue()).toMatchObject({ owner: 'instance-a', runId });
  expect((await http<RunStatus>(`${first.url}/sync/customers/status`)).body).toMatchObject({ state: 'running', runId });

  await klaviyo.configure({ faults: { hangRate: 0 } });
  const done = await waitForState(first.url, 'customers', ['completed', 'failed', 'stopped']);
  expect({ state: done.state, runId: done.runId, failed: done.counters!.failed }).toEqual({
    state: 'completed',
    runId,
    failed: 0,
  });
  expect(await profilesInImportJobs()).toBe(customerCount);
  expect((await klaviyo.records('profiles')).length).toBe(customerCount);
  // The second instance never ran one of its own: it reports the first one's run.
  expect((await http<RunStatus>(`${second.url}/sync/customers/status`)).body).toMatchObject({
    state: 'completed',
    runId,
  });
  expect(await lockValue()).toBeUndefined();

  // With the lock free, the second instance may run the next import.
  const next = await http<SyncAnswer>(`${second.url}/sync/customers`, 'POST');
  expect(next.status).toBe(202);
  expect((await waitForState(second.url, 'customers', ['completed', 'failed', 'stopped'])).state).toBe('completed');
});
