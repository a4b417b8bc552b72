import { readFileSync } from 'node:fs';
import { collectionPath, environmentPath } from '../../postman/build-collection';
import { startService, type RunningService } from '../support/service-harness';
import { startSandbox, type RunningSandbox } from '../support/sandbox-process';

/** What newman's run summary holds that this test reads. */
interface RunSummary {
  run: {
    failures: Array<{ source?: { name?: string }; error: { test?: string; message: string } }>;
    stats: { requests: { total: number }; assertions: { total: number; failed: number } };
    executions: Array<{ item: { name: string }; response?: { code: number } }>;
  };
}
type NewmanRun = (options: Record<string, unknown>, done: (error: Error | null, summary: RunSummary) => void) => void;
// newman ships no type definitions.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const newman = require('newman') as { run: NewmanRun };

function runCollection(baseUrl: string): Promise<RunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: JSON.parse(readFileSync(collectionPath, 'utf8')) as unknown,
        environment: JSON.parse(readFileSync(environmentPath, 'utf8')) as unknown,
        envVar: [{ key: 'baseUrl', value: baseUrl }],
        reporters: [],
        timeoutRequest: 30_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

describe('the Postman collection, run by newman against the service and the sandbox', () => {
  let sandbox: RunningSandbox;
  let service: RunningService;
  beforeAll(async () => {
    sandbox = await startSandbox({ customers: 40, orders: 60, categories: 6, products: 12 });
    service = await startService(sandbox.env);
  });
  afterAll(async () => {
    await service?.close();
    await sandbox?.stop();
  });

  it('passes every request and check, the four imports completing in order', async () => {
    const summary = await runCollection(service.url);
    const failures = summary.run.failures.map(
      (failure) => `${failure.source?.name ?? '?'}: ${failure.error.test ?? ''} ${failure.error.message}`,
    );
    expect(failures).toEqual([]);
    expect(summary.run.stats.assertions.failed).toBe(0);
    const names = summary.run.executions.map((execution) => execution.item.name);
    for (const type of ['categories', 'products', 'customers', 'orders']) expect(names).toContain(`Start ${type}`);
    expect(names.indexOf('Start orders')).toBeGreaterThan(names.indexOf('Wait for customers'));
    // Each request checks its status and its body against the description; the waits check completion.
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(2 * summary.run.stats.requests.total);
    const status = await fetch(`${service.url}/sync/orders/status`).then(
      (answer) => answer.json() as Promise<{ state: string; counters: { read: number } }>,
    );
    expect(status).toMatchObject({ state: 'completed', counters: { read: 60 } });
  });
});
