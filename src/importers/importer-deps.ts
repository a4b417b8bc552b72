import type { CommercetoolsClient } from '../clients/commercetools/commercetools-client';
import type { KlaviyoClient } from '../clients/klaviyo/klaviyo-client';
import type { Config } from '../config/env';
import type { MappingSettings } from '../config/mapping-settings';

/** What every importer is built with. */
export interface ImporterDeps {
  commercetools: CommercetoolsClient;
  klaviyo: KlaviyoClient;
  settings: MappingSettings;
  config: Config;
  /** The clock, passed in so price rules and tests agree on "now". */
  now: () => Date;
}
