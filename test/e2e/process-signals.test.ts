/**
 * The service process killed or shut down mid-run, over HTTP against the sandbox: a SIGKILL and
 * a restart with auto-resume, and a SIGTERM while a Klaviyo request hangs. The one time bound is
 * the one the service promises (it exits within 10 s of SIGTERM), measured from the signal.
 */
import { freePort } from '../../sandbox/service-driver';
import { checkpointContainer } from '../../src/engine/checkpoints';
import { lockContainer, lockKeys } from '../../src/engine/import-lock';
import { pollUntil, waitForState, waitForStatus } from '../support/service-harness';
import { seed } from '../support/sandbox-process';
import { sandboxScenario } from '../support/sandbox-scenario';

const scenario = sandboxScenario();

it("SIGKILL mid-run, then a restart with auto-resume: the import finishes by itself once the dead run's lock expires", async () => {
  await seed(scenario.sandbox(), { seed: 23, customers: 10_000 });
  const env = {
    ...scenario.sandbox().env,
    BULK_IMPORT_PORT: String(await freePort()),
    BULK_IMPORT_LOCK_TTL_SECONDS: '10',
  };
  const first = await scenario.serviceProcess(env);
  await scenario.klaviyo().configure({ faults: { latencyMs: 1_000 } });
  const runId = await scenario.startImport(first.url, 'customers');
  await waitForStatus(first.url, 'customers', 'a first job accepted', (status) => (status.counters?.sent ?? 0) > 0);
  first.child.kill('SIGKILL');
  await first.exited;
  expect(await scenario.customObject(lockContainer, lockKeys.customers)).toMatchObject({ runId });

  await scenario.klaviyo().configure({ faults: { latencyMs: 0 } });
  const restarted = await scenario.serviceProcess({ ...env, BULK_IMPORT_AUTO_RESUME: 'true' });
  // Nothing but waiting: the restarted instance resumes on its own once the lock has expired.
  const done = await waitForState(restarted.url, 'customers', ['completed', 'failed'], 60_000);
  expect({ state: done.state, failed: done.counters!.failed }).toEqual({ state: 'completed', failed: 0 });
  expect(await scenario.customerIdsInKlaviyo()).toEqual(await scenario.allCustomerIds());
  expect(await scenario.customObject(lockContainer, lockKeys.customers)).toBeUndefined();
}, 180_000);

it('SIGTERM while a Klaviyo request hangs: the process exits within 10 s, its checkpoint saved as interrupted with positions, its lock released', async () => {
  await seed(scenario.sandbox(), { seed: 25, customers: 10_000 });
  await scenario.klaviyo().configure({ faults: { hangRate: 1, operations: ['bulk_import_profiles'] } });
  const running = await scenario.serviceProcess({
    ...scenario.sandbox().env,
    BULK_IMPORT_PORT: String(await freePort()),
  });
  const runId = await scenario.startImport(running.url, 'customers');
  await pollUntil('a profile import job request hanging', async () =>
    (await scenario.klaviyo().stats()).requests.byOperation.bulk_import_profiles > 0 ? true : undefined,
  );

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

  const checkpoint = await scenario.customObject<{ runId: string; state: string; ranges: unknown[] }>(
    checkpointContainer,
    'customers',
  );
  expect(checkpoint).toMatchObject({ runId, state: 'interrupted' });
  expect(checkpoint!.ranges.length).toBeGreaterThan(0);
  expect(await scenario.customObject(lockContainer, lockKeys.customers)).toBeUndefined();
});
