import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { CommercetoolsClient } from '../../../src/clients/commercetools/commercetools-client';
import type { PageQuery } from '../../../src/clients/commercetools/keyset-pages';
import { KlaviyoClient } from '../../../src/clients/klaviyo/klaviyo-client';
import { createLogger } from '../../../src/logging/logger';
import { createMetricsRegistry, PlatformMetrics } from '../../../src/platform/metrics';
import { JobFollower } from '../../../src/platform/job-follower';
import type { RetryPolicy } from '../../../src/platform/retry';
import { answer, refusingUrl, startLocalServer, type LocalServer } from '../../support/local-server';
import { parsePrometheusText, sumOf, type Sample } from '../../support/prometheus-text';

const quickRetries: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

function metered() {
  const registry = createMetricsRegistry();
  return { registry, metrics: new PlatformMetrics(registry) };
}

async function samplesOf(registry: Registry): Promise<Sample[]> {
  return parsePrometheusText(await registry.metrics());
}

/** Long enough that a loaded machine does not cut off an answered request too. */
const requestDeadlineMs = 1_000;

function klaviyoClient(apiUrl: string, metrics: PlatformMetrics) {
  return new KlaviyoClient({
    apiKey: 'pk_test',
    apiUrl,
    timeoutMs: requestDeadlineMs,
    jobTimeoutMs: 60_000,
    logger: createLogger('silent'),
    retryPolicy: quickRetries,
    metrics,
  });
}

const getProfiles = (client: KlaviyoClient, signal?: AbortSignal) =>
  client.call('get_profiles', () => client.profiles.getProfiles(), signal);
const noProfiles = (response: ServerResponse) => answer(response, 200, { data: [], links: {} });
const throttled = (response: ServerResponse) =>
  answer(response, 429, { errors: [{ status: 429, code: 'throttled', title: 'Throttled' }] }, { 'retry-after': '0' });
const requests = 'bulk_import_platform_requests_total';

describe('request metrics', () => {
  let server: LocalServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('counts each Klaviyo attempt by operation and status: a 429, one without an answer, then 200', async () => {
    server = await startLocalServer((_request, response, index) => {
      if (index === 0) return throttled(response);
      if (index === 1) return; // never answered: the request's deadline cuts it off
      noProfiles(response);
    });
    const { registry, metrics } = metered();
    await getProfiles(klaviyoClient(server.url, metrics));

    const samples = await samplesOf(registry);
    const klaviyo = { platform: 'klaviyo', operation: 'get_profiles' };
    expect(sumOf(samples, requests, { ...klaviyo, status: '429' })).toBe(1);
    expect(sumOf(samples, requests, { ...klaviyo, status: 'timeout' })).toBe(1);
    expect(sumOf(samples, requests, { ...klaviyo, status: '200' })).toBe(1);
    expect(sumOf(samples, 'bulk_import_platform_rate_limited_total', klaviyo)).toBe(1);
    expect(sumOf(samples, 'bulk_import_platform_retries_total', klaviyo)).toBe(2);
    expect(sumOf(samples, 'bulk_import_platform_request_duration_seconds_count', klaviyo)).toBe(3);
    // The attempt the deadline cut off took at least that long.
    expect(sumOf(samples, 'bulk_import_platform_request_duration_seconds_sum', klaviyo)).toBeGreaterThanOrEqual(
      requestDeadlineMs / 1000,
    );
  });

  it('counts a refused connection as network and a stopped request as stopped', async () => {
    const { registry, metrics } = metered();
    const refused = klaviyoClient(await refusingUrl(), metrics);
    await expect(getProfiles(refused)).rejects.toThrow(/refused/);

    server = await startLocalServer(() => undefined);
    const stop = new AbortController();
    const hanging = getProfiles(klaviyoClient(server.url, metrics), stop.signal);
    await server.received(1);
    stop.abort(new Error('import stopped'));
    await expect(hanging).rejects.toThrow('import stopped');

    const samples = await samplesOf(registry);
    expect(sumOf(samples, requests, { platform: 'klaviyo', status: 'network' })).toBe(quickRetries.maxAttempts);
    expect(sumOf(samples, requests, { platform: 'klaviyo', status: 'stopped' })).toBe(1);
  });

  it('counts commercetools token requests apart from the call that needed them', async () => {
    server = await startLocalServer((request, response) => {
      if (request.url?.startsWith('/oauth/'))
        return answer(response, 200, { access_token: 'token', token_type: 'Bearer', expires_in: 3600 });
      answer(response, 200, { results: [] });
    });
    const { registry, metrics } = metered();
    const config = {
      apiUrl: server.url,
      authUrl: server.url,
      projectKey: 'project',
      clientId: 'client',
      clientSecret: 'secret',
      timeoutMs: 1_000,
    };
    const client = new CommercetoolsClient(config, createLogger('silent'), quickRetries, metrics);
    const query: PageQuery = { where: [], sort: 'id asc', limit: 10, withTotal: false };
    await client.queryPage('customers')(query);
    await client.queryPage('customers')(query);

    const samples = await samplesOf(registry);
    expect(sumOf(samples, requests, { platform: 'commercetools', operation: 'oauthToken', status: '200' })).toBe(1);
    expect(sumOf(samples, requests, { platform: 'commercetools', operation: 'queryCustomers', status: '200' })).toBe(2);
    // Labels are names and statuses: no URL, id or key reaches them.
    for (const sample of samples.filter((each) => each.name === requests))
      expect(Object.values(sample.labels).join(' ')).not.toMatch(/[/?=]|secret|token\b/);
  });

  it('counts the jobs being followed until each is finished', async () => {
    const { registry, metrics } = metered();
    const finished = new Set<string>();
    const follower = new JobFollower(
      (jobId: string) => Promise.resolve({ done: finished.has(jobId) }),
      (status) => status.done,
      { firstPollMs: 1, maxPollMs: 2, timeoutMs: 5_000, inFlight: metrics.jobsInFlight('get_test_job') },
    );
    const inFlight = async () =>
      sumOf(await samplesOf(registry), 'bulk_import_klaviyo_jobs_in_flight', { job: 'get_test_job' });
    const first = follower.follow('job-1');
    const second = follower.follow('job-2');
    expect(await inFlight()).toBe(2);
    finished.add('job-1');
    await first;
    expect(await inFlight()).toBe(1);
    finished.add('job-2');
    await second;
    expect(await inFlight()).toBe(0);
  });

  it('keeps the counts of two registries apart', async () => {
    const one = metered();
    const other = metered();
    one.metrics.request('klaviyo', 'get_profiles', 200, 0.01);
    expect(sumOf(await samplesOf(one.registry), requests)).toBe(1);
    expect(sumOf(await samplesOf(other.registry), requests)).toBe(0);
  });
});
