import { KlaviyoCatalog } from '../clients/klaviyo/catalog';
import { KlaviyoClient } from '../clients/klaviyo/klaviyo-client';
import type { DryRunFactory } from '../engine/dry-run-report';
import type { Logger } from '../logging/logger';
import { createImporters } from './all-importers';
import { DryRunKlaviyo } from './dry-run-klaviyo';
import type { ImporterDeps } from './importer-deps';

/**
 * Dry runs use the importers of real runs unchanged; only their Klaviyo client is one of their
 * own, whose requests a DryRunKlaviyo answers and records instead of sending them.
 */
export function dryRunFactory(deps: ImporterDeps, logger: Logger): DryRunFactory {
  return (type) => {
    const recorder = new DryRunKlaviyo(deps.now);
    const klaviyo = new KlaviyoClient({ ...deps.config.klaviyo, logger, transport: recorder });
    const importer = createImporters({ ...deps, klaviyo }, new KlaviyoCatalog(klaviyo))[type];
    return { importer, report: () => recorder.report() };
  };
}
