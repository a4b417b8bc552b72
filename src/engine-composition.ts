import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { CommercetoolsClient } from './clients/commercetools/commercetools-client';
import { CustomObjectStore } from './clients/commercetools/custom-objects';
import { KlaviyoCatalog } from './clients/klaviyo/catalog';
import { KlaviyoClient } from './clients/klaviyo/klaviyo-client';
import type { Config } from './config/env';
import { loadMappingSettings, type MappingSettings } from './config/mapping-settings';
import { CheckpointStore } from './engine/checkpoints';
import { ImportLocks } from './engine/import-lock';
import { JobEngine } from './engine/job-engine';
import type { RetryPolicy } from './platform/retry';
import { CategoriesImporter } from './importers/categories-importer';
import { CustomersImporter } from './importers/customers-importer';
import { OrdersImporter } from './importers/orders-importer';
import { ProductsImporter } from './importers/products-importer';
import type { ImporterDeps } from './importers/importer-deps';
import type { Logger } from './logging/logger';

export interface EngineOptions {
  /** Overrides the settings file, for tests. */
  settings?: MappingSettings;
  retryPolicy?: RetryPolicy;
}

/**
 * The import engine with its clients, importers, lock and checkpoints, built from a Config. The
 * HTTP service, the CLI and the Connect job all run imports through it, so the three share one
 * lock and one checkpoint per import type.
 */
export function createEngine(
  config: Config,
  logger: Logger,
  options: EngineOptions = {},
): { engine: JobEngine; instanceId: string } {
  const instanceId = config.instanceId ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  const commercetools = new CommercetoolsClient(config.commercetools, logger, options.retryPolicy);
  const klaviyo = new KlaviyoClient({ ...config.klaviyo, logger, retryPolicy: options.retryPolicy });
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
    importers: {
      customers: new CustomersImporter(deps),
      orders: new OrdersImporter(deps),
      categories: new CategoriesImporter(deps, catalog),
      products: new ProductsImporter(deps, catalog),
    },
    locks: new ImportLocks(store, instanceId, config.lockTtlMs),
    checkpoints: new CheckpointStore(store),
    logger,
  });
  return { engine, instanceId };
}
