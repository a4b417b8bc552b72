import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { CommercetoolsClient } from './clients/commercetools/commercetools-client';
import { CustomObjectStore } from './clients/commercetools/custom-objects';
import { KlaviyoCatalog } from './clients/klaviyo/catalog';
import { KlaviyoClient } from './clients/klaviyo/klaviyo-client';
import type { Config } from './config/env';
import { loadMappingSettings, type MappingSettings } from './config/mapping-settings';
import { CheckpointStore } from './engine/checkpoints';
import { FailureStore } from './engine/failure-store';
import { ImportLocks } from './engine/import-lock';
import { JobEngine } from './engine/job-engine';
import { LastRunStore } from './engine/last-runs';
import { registerRunMetrics } from './engine/run-metrics';
import { createImporters } from './importers/all-importers';
import { dryRunFactory } from './importers/dry-run';
import type { ImporterDeps } from './importers/importer-deps';
import { recordTotals } from './importers/record-totals';
import type { Logger } from './logging/logger';
import { createMetricsRegistry, PlatformMetrics } from './platform/metrics';
import type { RetryPolicy } from './platform/retry';

export interface EngineOptions {
  /** Overrides the settings file, for tests. */
  settings?: MappingSettings;
  retryPolicy?: RetryPolicy;
}

export interface ComposedEngine {
  engine: JobEngine;
  instanceId: string;
  /** The registry the engine's runs and both clients' requests are counted in. */
  metrics: Registry;
  platformMetrics: PlatformMetrics;
}

/**
 * The import engine with its clients, importers, lock, checkpoints, failure store and metrics,
 * built from a Config. The HTTP service, the CLI and the Connect job all run imports through it,
 * so the three share one lock and one checkpoint per import type.
 */
export function createEngine(config: Config, logger: Logger, options: EngineOptions = {}): ComposedEngine {
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
  return { engine, instanceId, metrics, platformMetrics };
}
