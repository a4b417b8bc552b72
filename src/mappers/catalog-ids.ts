/** The only integration and catalog Klaviyo offers platforms without a built-in integration. */
export const CATALOG_INTEGRATION_TYPE = '$custom';
export const CATALOG_TYPE = '$default';

/** Klaviyo's id of a catalog item, variant or category: `$custom:::$default:::<external id>`. */
export function catalogId(externalId: string): string {
  return `${CATALOG_INTEGRATION_TYPE}:::${CATALOG_TYPE}:::${externalId}`;
}

/** The identity attributes every catalog create carries. */
export function catalogIdentity(externalId: string) {
  return { externalId, integrationType: CATALOG_INTEGRATION_TYPE, catalogType: CATALOG_TYPE } as const;
}

interface CatalogIdentity {
  externalId: string;
  integrationType?: unknown;
  catalogType?: unknown;
}

/**
 * The update form of create attributes: Klaviyo fixes a resource's identity at creation, so
 * update jobs take the same attributes without externalId, integrationType and catalogType.
 */
export function withoutIdentity<Attributes extends CatalogIdentity>(
  attributes: Attributes,
): Omit<Attributes, keyof CatalogIdentity> {
  const { externalId: _externalId, integrationType: _integrationType, catalogType: _catalogType, ...rest } = attributes;
  return rest;
}
