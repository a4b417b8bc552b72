import type { Registry } from 'prom-client';
import { CommercetoolsClient } from './clients/commercetools/commercetools-client';
import { KlaviyoClient } from './clients/klaviyo/klaviyo-client';
import type { Config } from './config/env';
import type { JobEngine } from './engine/job-engine';
import { createEngine, type EngineOptions } from './engine-composition';
import type { RetryPolicy } from './platform/retry';
import { createApp } from './http/app';
import { httpServer } from './http/http-server';
import type { Logger } from './logging/logger';
import { readinessChecker, type Readiness } from './readiness';

export type ServiceOptions = EngineOptions;

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
  const { engine, instanceId, metrics, platformMetrics } = createEngine(config, logger, options);
  // Readiness makes a single attempt per check, so a probe reports the cause at once.
  const singleAttempt: RetryPolicy = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
  const readiness = readinessChecker(
    new CommercetoolsClient(config.commercetools, logger, singleAttempt, platformMetrics),
    new KlaviyoClient({ ...config.klaviyo, logger, retryPolicy: singleAttempt, metrics: platformMetrics }),
  );
  const server = httpServer(
    createApp({
      engine,
      readiness,
      logger,
      apiKey: config.apiKey,
      metrics: { registry: metrics, public: config.metricsPublic },
    }),
  );
  return {
    engine,
    instanceId,
    metrics,
    readiness,
    listen: (port) => server.listen(port),
    close: async (deadlineMs) => {
      await engine.shutdown(deadlineMs);
      await server.close();
    },
  };
}
