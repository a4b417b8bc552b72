import { JobFollower, type JobFollowerOptions } from '../../platform/job-follower';
import {
  catalogJobEndpoints,
  catalogJobLimits,
  type CatalogAction,
  type CatalogJobEndpoint,
  type CatalogJobRecord,
  type CatalogKind,
} from './catalog-endpoints';
import { outcomeOf, recordIndexOf, type CatalogJobOutcome, type CatalogJobStatus } from './catalog-job-outcome';
import { JobSlots } from './job-slots';
import type { KlaviyoClient } from './klaviyo-client';
import type { KlaviyoOperation } from './operation-limits';
import { nextPageCursor } from './pagination';

/** Most ids one `any(ids,[…])` filter and one page of a catalog list take. */
const lookupBatchSize = 100;

/** A job Klaviyo accepted, followed until it finishes. */
export interface SubmittedCatalogJob {
  jobId: string;
  finished: Promise<CatalogJobOutcome>;
}

/** A Klaviyo catalog item found by id, with the ids of its variants. */
export interface ExistingCatalogItem {
  id: string;
  variantIds: string[];
}

/** A job's status is asked for after 250 ms, then ever less often, at most every 4 s. */
const polling = { firstPollMs: 250, maxPollMs: 4_000 };

/**
 * Klaviyo's catalog through its bulk jobs: submit, follow to the end, look up, list.
 * The service builds one per Klaviyo account, so every importer shares the one count of jobs in
 * progress that Klaviyo caps at 500.
 */
export class KlaviyoCatalog {
  private readonly slots = new JobSlots(catalogJobLimits.jobsInProgress);
  private readonly followers = new Map<KlaviyoOperation, JobFollower<CatalogJobStatus>>();
  private readonly followOptions: JobFollowerOptions;

  constructor(private readonly client: KlaviyoClient) {
    this.followOptions = { ...polling, timeoutMs: client.jobTimeoutMs };
  }

  /**
   * Submits one bulk job (at most 100 records, 5 MB) once fewer than 500 are in progress, and
   * follows it from then on: `finished` answers which records Klaviyo refused. A refused
   * submission throws, holding no slot. A stop (signal) abandons the following; Klaviyo finishes
   * the job anyway.
   */
  async submit<K extends CatalogKind, A extends CatalogAction>(
    kind: K,
    action: A,
    records: CatalogJobRecord<K, A>[],
    signal?: AbortSignal,
  ): Promise<SubmittedCatalogJob> {
    await this.slots.acquire(signal);
    let jobId: string;
    try {
      jobId = await this.submitJob(kind, action, records, signal);
    } catch (error) {
      this.slots.release();
      throw error;
    }
    const finished = this.follower(kind, action)
      .follow(jobId, signal)
      .then((status): CatalogJobOutcome =>
        status ? outcomeOf(status) : { jobId, cancelled: false, timedOut: true, refused: new Map(), unattributed: [] },
      )
      .finally(() => this.slots.release());
    // The caller hears the outcome through `finished`; this keeps a rejection it has not awaited
    // yet (it awaits a whole batch's jobs together) from counting as unhandled.
    finished.catch(() => undefined);
    return { jobId, finished };
  }

  /** Submits one bulk job; only `submit` calls it, holding a slot. */
  private async submitJob<K extends CatalogKind, A extends CatalogAction>(
    kind: K,
    action: A,
    records: CatalogJobRecord<K, A>[],
    signal?: AbortSignal,
  ): Promise<string> {
    if (records.length > catalogJobLimits.records)
      throw new Error(`a catalog job takes at most ${catalogJobLimits.records} records`);
    const endpoint = catalogJobEndpoints[kind][action] as CatalogJobEndpoint<CatalogJobRecord<K, A>>;
    const { body } = await this.client.call(
      endpoint.submitOperation,
      () => endpoint.submit(this.client.catalogs, records),
      signal,
    );
    return body.data.id;
  }

  private async jobStatus(
    kind: CatalogKind,
    action: CatalogAction,
    jobId: string,
    signal?: AbortSignal,
  ): Promise<CatalogJobStatus> {
    const endpoint: CatalogJobEndpoint<unknown> = catalogJobEndpoints[kind][action];
    const { body } = await this.client.call(
      endpoint.statusOperation,
      () => endpoint.status(this.client.catalogs, jobId),
      signal,
    );
    const attributes = body.data.attributes;
    return {
      jobId: body.data.id,
      status: String(attributes.status) as CatalogJobStatus['status'],
      failedCount: attributes.failedCount ?? 0,
      errors: (attributes.errors ?? []).map((error) => ({
        code: error.code,
        title: error.title,
        detail: error.detail,
        recordIndex: recordIndexOf(error.source?.pointer ?? undefined),
      })),
    };
  }

  /** The items among `ids` (Klaviyo catalog ids) that exist, each with its variants' ids. */
  async findItems(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, ExistingCatalogItem>> {
    const found = new Map<string, ExistingCatalogItem>();
    for (const chunk of chunks(ids, lookupBatchSize)) {
      const { body } = await this.client.call(
        'get_catalog_items',
        () =>
          this.client.catalogs.getCatalogItems({
            filter: anyIds(chunk),
            include: ['variants'],
            pageSize: lookupBatchSize,
          }),
        signal,
      );
      for (const item of body.data) found.set(item.id, { id: item.id, variantIds: variantIdsOf(item) });
    }
    return found;
  }

  /** The variants among `ids` (Klaviyo catalog ids) that exist, whichever item they belong to. */
  async findVariantIds(ids: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of chunks(ids, lookupBatchSize)) {
      const { body } = await this.client.call(
        'get_catalog_variants',
        () =>
          this.client.catalogs.getCatalogVariants({
            filter: anyIds(chunk),
            fieldsCatalogVariant: ['id'],
            pageSize: lookupBatchSize,
          }),
        signal,
      );
      for (const variant of body.data) found.add(variant.id);
    }
    return found;
  }

  /** The names of the categories among `ids` (Klaviyo catalog ids) that exist. */
  async findCategoryNames(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const chunk of chunks(ids, lookupBatchSize)) {
      const { body } = await this.client.call(
        'get_catalog_categories',
        () => this.client.catalogs.getCatalogCategories({ filter: anyIds(chunk), pageSize: lookupBatchSize }),
        signal,
      );
      for (const category of body.data) found.set(category.id, category.attributes.name ?? '');
    }
    return found;
  }

  /** Every item of the catalog with its variants' ids, a page (up to 100 items) at a time. */
  async *listItems(signal?: AbortSignal): AsyncGenerator<ExistingCatalogItem[]> {
    let pageCursor: string | undefined;
    do {
      const { body } = await this.client.call(
        'get_catalog_items',
        () => this.client.catalogs.getCatalogItems({ include: ['variants'], pageSize: lookupBatchSize, pageCursor }),
        signal,
      );
      yield body.data.map((item) => ({ id: item.id, variantIds: variantIdsOf(item) }));
      pageCursor = nextPageCursor(body.links?.next);
    } while (pageCursor);
  }

  /** The ids of every category of the catalog, a page (up to 100) at a time. */
  async *listCategoryIds(signal?: AbortSignal): AsyncGenerator<string[]> {
    let pageCursor: string | undefined;
    do {
      const { body } = await this.client.call(
        'get_catalog_categories',
        () => this.client.catalogs.getCatalogCategories({ pageSize: lookupBatchSize, pageCursor }),
        signal,
      );
      yield body.data.map((category) => category.id);
      pageCursor = nextPageCursor(body.links?.next);
    } while (pageCursor);
  }

  private follower(kind: CatalogKind, action: CatalogAction): JobFollower<CatalogJobStatus> {
    const endpoint = catalogJobEndpoints[kind][action];
    let follower = this.followers.get(endpoint.statusOperation);
    if (!follower) {
      follower = new JobFollower(
        (jobId, signal) => this.jobStatus(kind, action, jobId, signal),
        (status) => status.status === 'complete' || status.status === 'cancelled',
        { ...this.followOptions, inFlight: this.client.metrics?.jobsInFlight(endpoint.statusOperation) },
      );
      this.followers.set(endpoint.statusOperation, follower);
    }
    return follower;
  }
}

function anyIds(ids: readonly string[]): string {
  return `any(ids,[${ids.map((id) => JSON.stringify(id)).join(',')}])`;
}

function variantIdsOf(item: { relationships?: { variants?: { data?: Array<{ id: string }> } } }): string[] {
  return (item.relationships?.variants?.data ?? []).map((variant) => variant.id);
}

function* chunks<T>(values: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < values.length; start += size) yield values.slice(start, start + size);
}
