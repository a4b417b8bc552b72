/**
 * One sandbox shared by the tests of a file, with services started against it and everything put
 * back after each test: services stopped (processes killed), faults of both stand-ins lifted,
 * Klaviyo emptied. Registers its own jest hooks; call it once at the top of a test file.
 */
import type { Customer } from '@commercetools/platform-sdk';
import { noFaults } from '../../sandbox/klaviyo-emulator/faults';
import { emulatorInspector, startImport, startService, type RunningService } from './service-harness';
import {
  clearCommercetoolsFaults,
  commercetoolsRequest,
  readAllRecords,
  startSandbox,
  waitForCommercetools,
  type RunningSandbox,
} from './sandbox-process';
import { spawnService, waitUntilListening, type ServiceProcess } from './service-process';

export interface SandboxScenario {
  sandbox(): RunningSandbox;
  klaviyo(): ReturnType<typeof emulatorInspector>;
  /** The service in this process (stopped after the test). */
  inProcessService(extraEnv?: Record<string, string>): Promise<RunningService>;
  /** The service as its own process, once it answers (killed after the test). */
  serviceProcess(env: Record<string, string>): Promise<ServiceProcess>;
  /** POST /sync/<type>, expecting 202; answers the run id. */
  startImport(serviceUrl: string, type: string, body?: unknown): Promise<string>;
  /** A custom object's value in commercetools (locks, checkpoints); undefined when there is none. */
  customObject<T>(container: string, key: string): Promise<T | undefined>;
  /** Ids of the customers whose profile is in Klaviyo, sorted. */
  customerIdsInKlaviyo(): Promise<string[]>;
  /** Ids of every customer in commercetools, sorted. */
  allCustomerIds(): Promise<string[]>;
}

export function sandboxScenario(): SandboxScenario {
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
    await klaviyo.configure({ faults: noFaults, rateLimitSpeed: 1 });
    await klaviyo.reset();
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  return {
    sandbox: () => sandbox,
    klaviyo: () => klaviyo,
    async inProcessService(extraEnv = {}) {
      const running = await startService(sandbox.env, { extraEnv });
      services.push(running);
      return running;
    },
    async serviceProcess(env) {
      const running = spawnService(env);
      processes.push(running);
      await waitUntilListening(running);
      return running;
    },
    startImport,
    async customObject<T>(container: string, key: string) {
      const { status, body } = await commercetoolsRequest<{ value: T }>(
        sandbox,
        'GET',
        `/custom-objects/${container}/${key}`,
      );
      return status === 404 ? undefined : body.value;
    },
    async customerIdsInKlaviyo() {
      return (await klaviyo.records('profiles'))
        .map((profile) => profile.attributes.external_id)
        .filter((id): id is string => Boolean(id))
        .sort();
    },
    async allCustomerIds() {
      return (await readAllRecords<Customer>(sandbox, 'customers')).map((customer) => customer.id).sort();
    },
  };
}
