import { emulatorInspector, http, startService, waitForState, type RunningService } from '../support/service-harness';
import { startSandbox, type RunningSandbox } from '../support/sandbox-process';
import { parsePrometheusText, sumOf, type Sample } from '../support/prometheus-text';
import type { RunStatus } from '../../src/engine/run-status';

interface EmulatorStats {
  requests: { total: number; byOperation: Record<string, number> };
  rateLimited: number;
}

const counterNames = ['read', 'sent', 'succeeded', 'failed', 'skipped'] as const;
const types = ['categories', 'products', 'customers', 'orders'] as const;

describe('GET /metrics and completeness after runs against the sandbox', () => {
  let sandbox: RunningSandbox;
  let service: RunningService;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 13, customers: 300, orders: 120, categories: 8, products: 40 });
    service = await startService(sandbox.env);
  });

  afterAll(async () => {
    await service?.close();
    await sandbox?.stop();
  });

  async function metrics(): Promise<Sample[]> {
    const answer = await fetch(`${service.url}/metrics`);
    expect(answer.status).toBe(200);
    return parsePrometheusText(await answer.text());
  }

  it('shows the counters of every run as its status does, and each run accounts for what it read', async () => {
    for (const type of types) {
      expect((await http(`${service.url}/sync/${type}`, 'POST')).status).toBe(202);
      await waitForState(service.url, type, ['completed', 'failed', 'stopped'], 300_000);
    }
    const samples = await metrics();
    for (const type of types) {
      const status = (await http(`${service.url}/sync/${type}/status`)).body as Required<RunStatus>;
      expect(status.state).toBe('completed');
      for (const counter of counterNames)
        expect({ type, counter, value: sumOf(samples, 'bulk_import_run_records', { type, counter }) }).toEqual({
          type,
          counter,
          value: status.counters[counter],
        });
      expect(sumOf(samples, 'bulk_import_run_state', { type, state: 'completed' })).toBe(1);
      expect(sumOf(samples, 'bulk_import_run_state', { type })).toBe(1);

      const { completeness } = status;
      expect(completeness).toMatchObject({ read: status.counters.read, sent: status.counters.sent, unaccounted: 0 });
      expect(completeness.read).toBeGreaterThan(0);
      expect(completeness.confirmed + completeness.failed + completeness.skipped).toBe(completeness.read);
      expect(service.logLines.some((line) => line.includes(`"Import completeness: ${completeness.line}"`))).toBe(true);
    }
  });

  it('counts every request Klaviyo got, by operation, and commercetools requests by operation and status', async () => {
    const samples = await metrics();
    const stats = (await emulatorInspector(sandbox.klaviyoUrl!).stats()) as EmulatorStats;
    const byOperation = stats.requests.byOperation;
    expect(Object.keys(byOperation)).toEqual(expect.arrayContaining(['bulk_import_profiles']));
    for (const [operation, count] of Object.entries(byOperation))
      expect({ operation, counted: sumOf(samples, 'bulk_import_platform_requests_total', { operation }) }).toEqual({
        operation,
        counted: count,
      });
    expect(sumOf(samples, 'bulk_import_platform_rate_limited_total', { platform: 'klaviyo' })).toBe(stats.rateLimited);
    const commercetools = { platform: 'commercetools', status: '200' };
    expect(
      sumOf(samples, 'bulk_import_platform_requests_total', { ...commercetools, operation: 'queryCustomers' }),
    ).toBeGreaterThan(0);
    expect(
      sumOf(samples, 'bulk_import_platform_requests_total', { ...commercetools, operation: 'oauthToken' }),
    ).toBeGreaterThan(0);
    expect(sumOf(samples, 'bulk_import_platform_request_duration_seconds_count', { platform: 'klaviyo' })).toBe(
      stats.requests.total,
    );
    // Every job followed has finished.
    expect(sumOf(samples, 'bulk_import_klaviyo_jobs_in_flight')).toBe(0);
    expect(sumOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
