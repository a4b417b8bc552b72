import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { CommercetoolsClient } from './clients/commercetools/commercetools-client';
import { CustomObjectStore } from './clients/commercetools/custom-objects';
import { KlaviyoCatalog } from './clients/klaviyo/catalog';
import { KlaviyoClient } from './clients/klaviyo/klaviyo-client';
import type { Config } from './config/env';
import { loadMappingSettings, type MappingSettings } from './config/mapping-settings';
import { LastRunStore } from './engine/last-runs';
import { CheckpointStore } from './engine/checkpoints';
import { FailureStore } from './engine/failure-store';
import { ImportLocks } from './engine/import-lock';
import { JobEngine } from './engine/job-engine';
import { registerRunMetrics } from './engine/run-metrics';
import { createMetricsRegistry, PlatformMetrics } from './platform/metrics';
import type { RetryPolicy } from './platform/retry';
import { createApp } from './http/app';
import { createImporters } from './importers/all-importers';
import { dryRunFactory } from './importers/dry-run';
import type { ImporterDeps } from './importers/importer-deps';
import { recordTotals } from './importers/record-totals';
import type { Logger } from './logging/logger';
import { readinessChecker, type Readiness } from './readiness';

export interface ServiceOptions {
  /** Overrides the settings file, for tests. */
  settings?: MappingSettings;
  retryPolicy?: RetryPolicy;
}

export interface Service {
  engine: JobEngine;
  instanceId: string;
  /** This instance's metrics, served as GET /metrics; no other instance shares them. */
  metrics: Registry;
  /** Whether both platforms accept the configured credentials and scopes; changes nothing. */
  readiness(): Promise<Readiness>;
  /** Starts the HTTP server; port 0 picks a free one. */
  listen(port: number): Promise<{ port: number }>;
  /** Stops the imports (checkpoints saved, locks released) within `deadlineMs`, then the server. */
  close(deadlineMs: number): Promise<void>;
}

/** Builds the whole service from its configuration: clients, importers, engine, HTTP app. */
export function createService(config: Config, logger: Logger, options: ServiceOptions = {}): Service {
  const instanceId = config.instanceId ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  const metrics = createMetricsRegistry();
  const platformMetrics = new PlatformMetrics(metrics);
  const commercetools = new CommercetoolsClient(config.commercetools, logger, options.retryPolicy, platformMetrics);
  const klaviyo = new KlaviyoClient({
    ...config.klaviyo,
    logger,
    retryPolicy: options.retryPolicy,
    metrics: platformMetrics,
  });
  const deps: ImporterDeps = {
    commercetools,
    klaviyo,
    settings: options.settings ?? loadMappingSettings(config.mappingSettingsFile),
    config,
    now: () => new Date(),
  };
  // One catalog for both catalog imports: they share Klaviyo's cap on catalog jobs in progress.
  const catalog = new KlaviyoCatalog(klaviyo);
  const store = new CustomObjectStore(commercetools);
  const engine = new JobEngine({
    importers: createImporters(deps, catalog),
    dryRun: dryRunFactory(deps, logger),
    locks: new ImportLocks(store, instanceId, config.lockTtlMs),
    checkpoints: new CheckpointStore(store),
    lastRuns: new LastRunStore(store),
    sinceMarginMs: config.sinceMarginMs,
    countRecords: recordTotals(commercetools),
    failures: new FailureStore(store),
    logger,
  });
  registerRunMetrics(metrics, () => engine.runsHere());
  // Readiness makes a single attempt per check, so a probe reports the cause at once.
  const singleAttempt: RetryPolicy = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
  const readiness = readinessChecker(
    new CommercetoolsClient(config.commercetools, logger, singleAttempt, platformMetrics),
    new KlaviyoClient({ ...config.klaviyo, logger, retryPolicy: singleAttempt, metrics: platformMetrics }),
  );
  const app = createApp({
    engine,
    readiness,
    logger,
    apiKey: config.apiKey,
    metrics: { registry: metrics, public: config.metricsPublic },
  });
  let server: Server | undefined;

  return {
    engine,
    instanceId,
    metrics,
    readiness,
    listen: (port) =>
      new Promise((resolve, reject) => {
        server = app.listen(port, (error?: Error) => {
          if (error) return reject(error);
          resolve({ port: (server!.address() as AddressInfo).port });
        });
      }),
    close: async (deadlineMs) => {
      await engine.shutdown(deadlineMs);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
