/**
 * Klaviyo's JSON:API answers as the tests read them: from the emulator's public API and from its
 * inspection API, whose records take the form Klaviyo returns. Attributes name the fields tests
 * look at; any other field reads as unknown.
 */
import type { JsonApiError } from '../../sandbox/klaviyo-emulator/errors';

export type { EmulatorStats, RejectedRequest } from '../../sandbox/klaviyo-emulator/index';
export type { JsonApiError };

export interface Identifier {
  type: string;
  id: string;
}

export interface WireResource<A = Record<string, unknown>, M = Record<string, unknown>> {
  type: string;
  id: string;
  attributes: A;
  relationships?: Record<string, { data?: Identifier | Identifier[] | null; links?: Record<string, string> }>;
  links?: { self: string };
  meta?: M;
}

/** An answer carrying one resource. */
export interface OneResource<A = Record<string, unknown>> {
  data: WireResource<A>;
}

/** An answer carrying a page of resources. */
export interface ResourcePage<A = Record<string, unknown>> {
  data: WireResource<A>[];
  links: { self: string; next?: string; prev?: string };
  included?: WireResource[];
}

/** A refusal: Klaviyo's `errors` array. */
export interface ErrorAnswer {
  errors: JsonApiError[];
}

export interface ProfileAttributes {
  [field: string]: unknown;
  email?: string | null;
  phone_number?: string | null;
  external_id?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  location?: Record<string, unknown> | null;
  properties: Record<string, unknown>;
}

export interface EventAttributes {
  [field: string]: unknown;
  timestamp: number;
  datetime: string;
  event_properties: Record<string, unknown>;
}

/** What the inspection API adds to an event: its metric and profile, and the values Klaviyo folds away. */
export interface EventMeta {
  metric_name: string;
  profile_id: string;
  unique_id: string | null;
  backfill: boolean;
  value: number | null;
  value_currency: string | null;
}

export interface JobAttributes {
  [field: string]: unknown;
  status: string;
  total_count: number;
  completed_count: number;
  failed_count: number;
  completed_at: string | null;
  errors?: JsonApiError[];
}

export interface CatalogAttributes {
  [field: string]: unknown;
  external_id: string | null;
  title?: string | null;
  name?: string | null;
  description?: string | null;
  url?: string | null;
  price?: number | null;
  custom_metadata?: Record<string, unknown> | null;
}

export type ProfileResource = WireResource<ProfileAttributes>;
export type EventResource = WireResource<EventAttributes, EventMeta> & { meta: EventMeta };
export type JobResource = WireResource<JobAttributes>;
export type CatalogResource = WireResource<CatalogAttributes>;

/** What `GET /__emulator/records/<kind>` holds, by kind. */
export interface EmulatorRecords {
  profiles: ProfileResource;
  events: EventResource;
  metrics: WireResource<{ name: string }>;
  'catalog-items': CatalogResource;
  'catalog-variants': CatalogResource;
  'catalog-categories': CatalogResource;
  jobs: JobResource;
}
