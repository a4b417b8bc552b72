import type { RateLimit } from '../../platform/rate-limiter';

/**
 * Klaviyo's published limits (x-klaviyo-ratelimit, revision 2026-07-15) for the operations this
 * service calls, keyed by the spec's operationId. A test checks this table against the spec.
 */
export const klaviyoOperationLimits = {
  bulk_import_profiles: limit(10, 150),
  get_bulk_import_profiles_job: limit(10, 150),
  get_errors_for_bulk_import_profiles_job: limit(10, 150),
  get_profiles: limit(75, 750),
  bulk_create_events: limit(10, 150),
  get_events: limit(350, 3500),
  get_catalog_items: limit(350, 3500),
  get_catalog_categories: limit(350, 3500),
  get_catalog_variants: limit(350, 3500),
  bulk_create_catalog_items: limit(75, 750),
  bulk_update_catalog_items: limit(75, 750),
  bulk_delete_catalog_items: limit(75, 750),
  bulk_create_catalog_variants: limit(75, 750),
  bulk_update_catalog_variants: limit(75, 750),
  bulk_delete_catalog_variants: limit(75, 750),
  bulk_create_catalog_categories: limit(75, 750),
  bulk_update_catalog_categories: limit(75, 750),
  bulk_delete_catalog_categories: limit(75, 750),
  get_bulk_create_catalog_items_job: limit(75, 750),
  get_bulk_update_catalog_items_job: limit(75, 750),
  get_bulk_delete_catalog_items_job: limit(350, 3500),
  get_bulk_create_variants_job: limit(75, 750),
  get_bulk_update_variants_job: limit(75, 750),
  get_bulk_delete_variants_job: limit(350, 3500),
  get_bulk_create_categories_job: limit(350, 3500),
  get_bulk_update_categories_job: limit(350, 3500),
  get_bulk_delete_categories_job: limit(350, 3500),
} satisfies Record<string, RateLimit>;

export type KlaviyoOperation = keyof typeof klaviyoOperationLimits;

function limit(burstPerSecond: number, steadyPerMinute: number): RateLimit {
  return { burstPerSecond, steadyPerMinute };
}
