import type {
  CatalogCategoryCreateQueryResourceObject,
  CatalogCategoryDeleteQueryResourceObject,
  CatalogCategoryUpdateQueryResourceObject,
  CatalogItemCreateQueryResourceObject,
  CatalogItemDeleteQueryResourceObject,
  CatalogItemUpdateQueryResourceObject,
  CatalogsApi,
  CatalogVariantCreateQueryResourceObject,
  CatalogVariantDeleteQueryResourceObject,
  CatalogVariantUpdateQueryResourceObject,
  PostCatalogItemCreateJobResponse,
} from 'klaviyo-api';
import { JobFollower, type JobFollowerOptions } from '../../platform/job-follower';
import type { KlaviyoClient } from './klaviyo-client';
import type { KlaviyoOperation } from './operation-limits';
import { nextPageCursor } from './pagination';

export type CatalogKind = 'item' | 'variant' | 'category';
export type CatalogAction = 'create' | 'update' | 'delete';

/** The record form each kind of bulk job takes, in the SDK's models. */
export interface CatalogJobRecords {
  item: {
    create: CatalogItemCreateQueryResourceObject;
    update: CatalogItemUpdateQueryResourceObject;
    delete: CatalogItemDeleteQueryResourceObject;
  };
  variant: {
    create: CatalogVariantCreateQueryResourceObject;
    update: CatalogVariantUpdateQueryResourceObject;
    delete: CatalogVariantDeleteQueryResourceObject;
  };
  category: {
    create: CatalogCategoryCreateQueryResourceObject;
    update: CatalogCategoryUpdateQueryResourceObject;
    delete: CatalogCategoryDeleteQueryResourceObject;
  };
}

export type CatalogJobRecord<K extends CatalogKind = CatalogKind, A extends CatalogAction = CatalogAction> = CatalogJobRecords[K][A];

/** Klaviyo's limits for every catalog bulk job (spec, revision 2026-07-15). */
export const catalogJobLimits = { records: 100, bytes: 5_000_000, jobsInProgress: 500 } as const;

/** Most ids one `any(ids,[…])` filter and one page of a catalog list take. */
const lookupBatchSize = 100;

type JobAttributes = PostCatalogItemCreateJobResponse['data']['attributes'];
type JobAnswer = Promise<{ body: { data: { id: string; attributes: JobAttributes } } }>;

interface JobEndpoint<R> {
  submitOperation: KlaviyoOperation;
  statusOperation: KlaviyoOperation;
  submit(api: CatalogsApi, records: R[]): JobAnswer;
  status(api: CatalogsApi, jobId: string): JobAnswer;
}

type JobEndpoints = { [K in CatalogKind]: { [A in CatalogAction]: JobEndpoint<CatalogJobRecords[K][A]> } };

/** The SDK call and the spec's operation id of each of the nine catalog bulk jobs and their status. */
const jobEndpoints: JobEndpoints = {
  item: {
    create: {
      submitOperation: 'bulk_create_catalog_items',
      statusOperation: 'get_bulk_create_catalog_items_job',
      submit: (api, data) => api.bulkCreateCatalogItems({ data: { type: 'catalog-item-bulk-create-job', attributes: { items: { data } } } }),
      status: (api, id) => api.getBulkCreateCatalogItemsJob(id),
    },
    update: {
      submitOperation: 'bulk_update_catalog_items',
      statusOperation: 'get_bulk_update_catalog_items_job',
      submit: (api, data) => api.bulkUpdateCatalogItems({ data: { type: 'catalog-item-bulk-update-job', attributes: { items: { data } } } }),
      status: (api, id) => api.getBulkUpdateCatalogItemsJob(id),
    },
    delete: {
      submitOperation: 'bulk_delete_catalog_items',
      statusOperation: 'get_bulk_delete_catalog_items_job',
      submit: (api, data) => api.bulkDeleteCatalogItems({ data: { type: 'catalog-item-bulk-delete-job', attributes: { items: { data } } } }),
      status: (api, id) => api.getBulkDeleteCatalogItemsJob(id),
    },
  },
  variant: {
    create: {
      submitOperation: 'bulk_create_catalog_variants',
      statusOperation: 'get_bulk_create_variants_job',
      submit: (api, data) => api.bulkCreateCatalogVariants({ data: { type: 'catalog-variant-bulk-create-job', attributes: { variants: { data } } } }),
      status: (api, id) => api.getBulkCreateVariantsJob(id),
    },
    update: {
      submitOperation: 'bulk_update_catalog_variants',
      statusOperation: 'get_bulk_update_variants_job',
      submit: (api, data) => api.bulkUpdateCatalogVariants({ data: { type: 'catalog-variant-bulk-update-job', attributes: { variants: { data } } } }),
      status: (api, id) => api.getBulkUpdateVariantsJob(id),
    },
    delete: {
      submitOperation: 'bulk_delete_catalog_variants',
      statusOperation: 'get_bulk_delete_variants_job',
      submit: (api, data) => api.bulkDeleteCatalogVariants({ data: { type: 'catalog-variant-bulk-delete-job', attributes: { variants: { data } } } }),
      status: (api, id) => api.getBulkDeleteVariantsJob(id),
    },
  },
  category: {
    create: {
      submitOperation: 'bulk_create_catalog_categories',
      statusOperation: 'get_bulk_create_categories_job',
      submit: (api, data) =>
        api.bulkCreateCatalogCategories({ data: { type: 'catalog-category-bulk-create-job', attributes: { categories: { data } } } }),
      status: (api, id) => api.getBulkCreateCategoriesJob(id),
    },
    update: {
      submitOperation: 'bulk_update_catalog_categories',
      statusOperation: 'get_bulk_update_categories_job',
      submit: (api, data) =>
        api.bulkUpdateCatalogCategories({ data: { type: 'catalog-category-bulk-update-job', attributes: { categories: { data } } } }),
      status: (api, id) => api.getBulkUpdateCategoriesJob(id),
    },
    delete: {
      submitOperation: 'bulk_delete_catalog_categories',
      statusOperation: 'get_bulk_delete_categories_job',
      submit: (api, data) =>
        api.bulkDeleteCatalogCategories({ data: { type: 'catalog-category-bulk-delete-job', attributes: { categories: { data } } } }),
      status: (api, id) => api.getBulkDeleteCategoriesJob(id),
    },
  },
};

export interface CatalogJobStatus {
  jobId: string;
  status: 'queued' | 'processing' | 'complete' | 'cancelled';
  failedCount: number;
  errors: CatalogJobError[];
}

export interface CatalogJobError {
  code: string;
  title: string;
  detail: string;
  /** Position of the refused record in the submitted job, read from the error's pointer. */
  recordIndex?: number;
}

/** A finished job: the positions of the records Klaviyo refused, with why. */
export interface CatalogJobOutcome {
  jobId: string;
  cancelled: boolean;
  /** Klaviyo had not finished the job when its time was up (see KlaviyoClient.jobTimeoutMs). */
  timedOut?: boolean;
  refused: Map<number, string>;
  /** Failures Klaviyo reported without saying which record they belong to. */
  unattributed: string[];
}

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

const defaultPolling = { firstPollMs: 250, maxPollMs: 4_000 };

/**
 * Klaviyo's catalog through its bulk jobs: submit, follow to the end, look up, list.
 * One instance per Klaviyo client (`KlaviyoCatalog.of`), so every importer on that account shares
 * the one count of jobs in progress that Klaviyo caps at 500.
 */
export class KlaviyoCatalog {
  private static readonly instances = new WeakMap<KlaviyoClient, KlaviyoCatalog>();
  private readonly slots = new JobSlots(catalogJobLimits.jobsInProgress);
  private readonly followers = new Map<KlaviyoOperation, JobFollower<CatalogJobStatus>>();

  private constructor(
    private readonly client: KlaviyoClient,
    private readonly followOptions: JobFollowerOptions,
  ) {}

  static of(client: KlaviyoClient, followOptions: Partial<JobFollowerOptions> = {}): KlaviyoCatalog {
    let catalog = KlaviyoCatalog.instances.get(client);
    if (!catalog) {
      catalog = new KlaviyoCatalog(client, { ...defaultPolling, timeoutMs: client.jobTimeoutMs, ...followOptions });
      KlaviyoCatalog.instances.set(client, catalog);
    }
    return catalog;
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
      .then((status): CatalogJobOutcome => (status ? outcomeOf(status) : { jobId, cancelled: false, timedOut: true, refused: new Map(), unattributed: [] }))
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
    if (records.length > catalogJobLimits.records) throw new Error(`a catalog job takes at most ${catalogJobLimits.records} records`);
    const endpoint = jobEndpoints[kind][action] as JobEndpoint<CatalogJobRecord<K, A>>;
    const { body } = await this.client.call(endpoint.submitOperation, () => endpoint.submit(this.client.catalogs, records), signal);
    return body.data.id;
  }

  private async jobStatus(kind: CatalogKind, action: CatalogAction, jobId: string, signal?: AbortSignal): Promise<CatalogJobStatus> {
    const endpoint: JobEndpoint<unknown> = jobEndpoints[kind][action];
    const { body } = await this.client.call(endpoint.statusOperation, () => endpoint.status(this.client.catalogs, jobId), signal);
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
        () => this.client.catalogs.getCatalogItems({ filter: anyIds(chunk), include: ['variants'], pageSize: lookupBatchSize }),
        signal,
      );
      for (const item of body.data) found.set(item.id, { id: item.id, variantIds: variantIdsOf(item) });
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
    const endpoint = jobEndpoints[kind][action];
    let follower = this.followers.get(endpoint.statusOperation);
    if (!follower) {
      follower = new JobFollower(
        (jobId, signal) => this.jobStatus(kind, action, jobId, signal),
        (status) => status.status === 'complete' || status.status === 'cancelled',
        this.followOptions,
      );
      this.followers.set(endpoint.statusOperation, follower);
    }
    return follower;
  }
}

/** A counting semaphore: at most `capacity` holders, the others wait in arrival order. */
export class JobSlots {
  taken = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly capacity: number) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.taken < this.capacity) {
      this.taken++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(signal?.reason);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `taken` stays as it is.
    if (next) next();
    else this.taken--;
  }
}

function outcomeOf(status: CatalogJobStatus): CatalogJobOutcome {
  const refused = new Map<number, string>();
  const unattributed: string[] = [];
  for (const error of status.errors) {
    const reason = `${error.code}: ${error.detail || error.title}`;
    if (error.recordIndex === undefined) unattributed.push(reason);
    else if (!refused.has(error.recordIndex)) refused.set(error.recordIndex, reason);
  }
  // A job that counts failures but names fewer refused records leaves the rest unaccounted for.
  const unnamed = status.failedCount - refused.size - unattributed.length;
  for (let index = 0; index < unnamed; index++) unattributed.push(`Klaviyo counted a failure it did not describe`);
  return { jobId: status.jobId, cancelled: status.status === 'cancelled', refused, unattributed };
}

/** `/data/attributes/items/data/7/attributes/price` → 7. */
export function recordIndexOf(pointer: string | undefined): number | undefined {
  const index = /^\/data\/attributes\/[a-z]+\/data\/(\d+)(\/|$)/.exec(pointer ?? '')?.[1];
  return index === undefined ? undefined : Number(index);
}

/** The record a refusal of a submitted job points at, as `sendSplittingRefusals` asks for it. */
export function catalogRecordIndexesOfPointer(pointer: string): number[] {
  const index = recordIndexOf(pointer);
  return index === undefined ? [] : [index];
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
