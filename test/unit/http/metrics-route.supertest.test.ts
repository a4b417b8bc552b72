import request from 'supertest';
import { createApp } from '../../../src/http/app';
import { createLogger } from '../../../src/logging/logger';
import { registerRunMetrics } from '../../../src/engine/run-metrics';
import { createMetricsRegistry, PlatformMetrics } from '../../../src/platform/metrics';
import { parsePrometheusText, sumOf } from '../../support/prometheus-text';
import { fakeEngine } from './fake-engine';

const apiKey = 'metrics-test-key';

/** The app with a registry holding one counted request and a completed customers run. */
function api(options: { apiKey?: string; public?: boolean }) {
  const registry = createMetricsRegistry();
  new PlatformMetrics(registry).request('klaviyo', 'bulk_import_profiles', 202, 0.05);
  registerRunMetrics(registry, () => [
    {
      type: 'customers',
      state: 'completed',
      counters: { read: 3, sent: 3, succeeded: 2, failed: 1, skipped: 0 },
    },
  ]);
  const app = createApp({
    engine: fakeEngine().engine,
    logger: createLogger('silent'),
    apiKey: options.apiKey,
    readiness: () => Promise.resolve({ ready: true, checks: [] }),
    metrics: { registry, public: options.public ?? false },
  });
  return request(app);
}

describe('GET /metrics', () => {
  it('answers Prometheus text: process metrics, request counts and run records and state', async () => {
    const answer = await api({}).get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(answer.text);
    expect(sumOf(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(
      sumOf(samples, 'bulk_import_platform_requests_total', { operation: 'bulk_import_profiles', status: '202' }),
    ).toBe(1);
    expect(sumOf(samples, 'bulk_import_run_records', { type: 'customers', counter: 'succeeded' })).toBe(2);
    expect(sumOf(samples, 'bulk_import_run_records', { type: 'customers', counter: 'failed' })).toBe(1);
    expect(sumOf(samples, 'bulk_import_run_state', { type: 'customers', state: 'completed' })).toBe(1);
    expect(sumOf(samples, 'bulk_import_run_state', { type: 'customers' })).toBe(1);
    expect(sumOf(samples, 'bulk_import_run_state', { type: 'orders', state: 'idle' })).toBe(1);
  });

  it('needs the API key when one is set', async () => {
    const http = api({ apiKey });
    const refused = await http.get('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer');
    expect(refused.text).not.toContain('bulk_import');
    expect((await http.get('/metrics').set('Authorization', 'Bearer wrong-key')).status).toBe(401);
    const allowed = await http.get('/metrics').set('Authorization', `Bearer ${apiKey}`);
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('bulk_import_run_state');
  });

  it('answers without the key when metrics are public, while the rest still needs it', async () => {
    const http = api({ apiKey, public: true });
    expect((await http.get('/metrics')).status).toBe(200);
    expect((await http.get('/sync/status')).status).toBe(401);
  });
});
