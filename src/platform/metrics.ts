import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PlatformError } from './platform-error';

export type Platform = PlatformError['platform'];

/**
 * What became of one HTTP request: the answer's status, or `timeout` (no answer within the
 * request's deadline), `network` (no answer: refused, reset, DNS), `stopped` (cut off by a stop).
 */
export type RequestOutcome = number | 'timeout' | 'network' | 'stopped';

/** A gauge of one kind of job: one more while a job is followed, one less once it is done. */
export interface InFlightGauge {
  inc(): void;
  dec(): void;
}

/** A Prometheus registry of one service instance, with prom-client's process metrics in it. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The counts of the requests to both platforms, registered on one service's registry. Labels are
 * stable names only (platform, operation, status, job kind): never an id, a URL or a record's data.
 */
export class PlatformMetrics {
  private readonly requests: Counter<'platform' | 'operation' | 'status'>;
  private readonly rateLimited: Counter<'platform' | 'operation'>;
  private readonly retries: Counter<'platform' | 'operation'>;
  private readonly duration: Histogram<'platform' | 'operation'>;
  private readonly jobs: Gauge<'job'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'bulk_import_platform_requests_total',
      help: 'HTTP requests to commercetools and Klaviyo (each attempt, token requests included), by outcome',
      labelNames: ['platform', 'operation', 'status'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'bulk_import_platform_rate_limited_total',
      help: 'Requests answered 429 Too Many Requests',
      labelNames: ['platform', 'operation'],
      registers,
    });
    this.retries = new Counter({
      name: 'bulk_import_platform_retries_total',
      help: 'Calls sent again after a retryable failure (429, 5xx, timeout, lost connection)',
      labelNames: ['platform', 'operation'],
      registers,
    });
    this.duration = new Histogram({
      name: 'bulk_import_platform_request_duration_seconds',
      help: 'Time from sending a request to its answer or failure',
      labelNames: ['platform', 'operation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.jobs = new Gauge({
      name: 'bulk_import_klaviyo_jobs_in_flight',
      help: 'Klaviyo bulk jobs submitted and followed, not finished yet, by the operation that asks about them',
      labelNames: ['job'],
      registers,
    });
  }

  request(platform: Platform, operation: string, outcome: RequestOutcome, seconds: number): void {
    this.requests.inc({ platform, operation, status: String(outcome) });
    if (outcome === 429) this.rateLimited.inc({ platform, operation });
    this.duration.observe({ platform, operation }, seconds);
  }

  retried(platform: Platform, operation: string): void {
    this.retries.inc({ platform, operation });
  }

  jobsInFlight(job: string): InFlightGauge {
    return this.jobs.labels({ job });
  }
}
