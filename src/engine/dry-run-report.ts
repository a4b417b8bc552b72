import type { Importer } from './importer';
import type { ImportType } from './run-types';

/** A record Klaviyo would refuse: the request's operation, the record's Klaviyo id, and why. */
export interface DryRunRefusal {
  operation: string;
  /** The customer id of a profile, the unique_id of an event, the catalog id of a catalog record. */
  record: string;
  reason: string;
}

/** The Klaviyo requests of one operation a real run would make, and how long they take at its rate limit. */
export interface DryRunRequests {
  requests: number;
  /** Request bodies as they would go over the wire. */
  bytes: number;
  /** Seconds from the first request to the last at Klaviyo's published limits for the operation. */
  seconds: number;
}

/** What a dry run would have sent to Klaviyo. */
export interface DryRunReport {
  /** Records Klaviyo would take, by kind; events also by metric. */
  records: {
    profiles: number;
    events: number;
    eventsPerMetric: Record<string, number>;
    catalogItems: number;
    catalogVariants: number;
    catalogCategories: number;
  };
  /** Every refusal counted; the first `listLimit` listed. */
  refusals: { count: number; listLimit: number; listed: DryRunRefusal[] };
  /** By Klaviyo operation (the spec's operationId). */
  requests: Record<string, DryRunRequests>;
  /**
   * The least time Klaviyo's rate limits allow for all of it: operations have limits of their own,
   * so the slowest one sets it.
   */
  klaviyoSeconds: number;
}

/** One dry run's importer, whose Klaviyo records instead of sending, and what it recorded. */
export interface DryRunSetup {
  importer: Importer;
  report: () => DryRunReport;
}

/** Builds the importer of a dry run of `type`, with a Klaviyo side of its own that sends nothing. */
export type DryRunFactory = (type: ImportType) => DryRunSetup;
