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

/**
 * One kind of asynchronous bulk job (profile import, event bulk create, catalog
 * create/update/delete of items, variants or categories): what records a body carries and
 * what applying one record does. Everything else (status over time, counts, per-record
 * errors, status endpoints) is shared.
 */
export interface BulkJobKind {
  /** JSON:API type of the job, e.g. `catalog-item-bulk-create-job`. */
  type: string;
  /** Path segment under /api, e.g. `catalog-item-bulk-create-jobs`. */
  collection: string;
  recordsOf(body: unknown): unknown[];
  /** Pointer to the records array in the request body; per-record errors point below it. */
  recordsPointer: string;
  /** Throws RecordError when the record fails; other records go on. */
  apply(record: unknown, state: EmulatorState, now: Date): void;
  /** Number counted against the operation's "Accepts up to N"; defaults to the records. */
  countRecords?(body: unknown): number;
  /** Checks Klaviyo makes before it accepts the job; throws ApiError to refuse the request. */
  checkRequest?(body: unknown): void;
  /** Where Klaviyo reports failed records: in the job's `errors`, an import-errors endpoint, nowhere. */
  errorReport: 'inline' | 'import-errors' | 'none';
}

export type JobStatus = 'queued' | 'processing' | 'complete' | 'cancelled';

/** One failed record, in Klaviyo's APIJobErrorPayload / import-error form. */
export interface JobRecordError {
  id: string;
  code: string;
  title: string;
  detail: string;
  source: { pointer: string };
  original_payload?: unknown;
}

export interface BulkJob {
  id: string;
  kind: BulkJobKind;
  status: JobStatus;
  createdAt: string;
  startedAt?: string;
  completedAt?: string;
  expiresAt: string;
  totalCount: number;
  completedCount: number;
  failedCount: number;
  errors: JobRecordError[];
  /** Created by an operation whose spec caps the number of jobs in progress. */
  countsTowardInProgressCap: boolean;
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
