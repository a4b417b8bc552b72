import type { BulkJob } from './bulk-jobs';

/** In-memory records of one emulated Klaviyo account, stored in the wire (snake_case) form. */

export type Attributes = Record<string, unknown>;

export interface ProfileRecord {
  id: string;
  attributes: Attributes;
}

export interface MetricRecord {
  id: string;
  name: string;
  created: string;
  updated: string;
}

export interface EventRecord {
  id: string;
  metricId: string;
  profileId: string;
  datetime: string;
  properties: Attributes;
  uniqueId?: string;
  value?: number;
  valueCurrency?: string;
  backfill: boolean;
}

/** Items, variants and categories alike; only items use categoryIds, only variants itemId. */
export interface CatalogRecord {
  id: string;
  attributes: Attributes;
  categoryIds: Set<string>;
  itemId?: string;
}

export class EmulatorState {
  readonly profiles = new Map<string, ProfileRecord>();
  /** `<identifier>:<value>` (email lower-cased) -> profile id. */
  readonly profileIdentities = new Map<string, string>();
  readonly metrics = new Map<string, MetricRecord>();
  readonly metricIdsByName = new Map<string, string>();
  readonly events: EventRecord[] = [];
  /** `<profile id>|<metric id>|<unique_id or time>` of the events kept, for de-duplication. */
  readonly eventUniqueKeys = new Set<string>();
  readonly catalogItems = new Map<string, CatalogRecord>();
  readonly catalogVariants = new Map<string, CatalogRecord>();
  readonly catalogCategories = new Map<string, CatalogRecord>();
  readonly jobs = new Map<string, BulkJob>();

  clear(): void {
    for (const value of Object.values(this)) {
      if (value instanceof Map || value instanceof Set) value.clear();
      else if (Array.isArray(value)) value.length = 0;
    }
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let idSequence = 0;

/** 26 characters like Klaviyo's ULID ids: 10 of time, 16 of a process-wide sequence. */
export function newId(now = Date.now()): string {
  return encodeBase32(now, 10) + encodeBase32(++idSequence, 16);
}

function encodeBase32(value: number, length: number): string {
  let text = '';
  for (let rest = value; text.length < length; rest = Math.floor(rest / 32)) text = CROCKFORD[rest % 32] + text;
  return text;
}
