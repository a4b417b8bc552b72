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
import type { KlaviyoOperation } from './operation-limits';

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

export type CatalogJobRecord<
  K extends CatalogKind = CatalogKind,
  A extends CatalogAction = CatalogAction,
> = CatalogJobRecords[K][A];

/** Klaviyo's limits for every catalog bulk job (spec, revision 2026-07-15). */
export const catalogJobLimits = { records: 100, bytes: 5_000_000, jobsInProgress: 500 } as const;

type JobAttributes = PostCatalogItemCreateJobResponse['data']['attributes'];
type JobAnswer = Promise<{ body: { data: { id: string; attributes: JobAttributes } } }>;

export interface CatalogJobEndpoint<R> {
  submitOperation: KlaviyoOperation;
  statusOperation: KlaviyoOperation;
  submit(api: CatalogsApi, records: R[]): JobAnswer;
  status(api: CatalogsApi, jobId: string): JobAnswer;
}

type JobEndpoints = { [K in CatalogKind]: { [A in CatalogAction]: CatalogJobEndpoint<CatalogJobRecords[K][A]> } };

/** The SDK call and the spec's operation id of each of the nine catalog bulk jobs and their status. */
export const catalogJobEndpoints: JobEndpoints = {
  item: {
    create: {
      submitOperation: 'bulk_create_catalog_items',
      statusOperation: 'get_bulk_create_catalog_items_job',
      submit: (api, data) =>
        api.bulkCreateCatalogItems({ data: { type: 'catalog-item-bulk-create-job', attributes: { items: { data } } } }),
      status: (api, id) => api.getBulkCreateCatalogItemsJob(id),
    },
    update: {
      submitOperation: 'bulk_update_catalog_items',
      statusOperation: 'get_bulk_update_catalog_items_job',
      submit: (api, data) =>
        api.bulkUpdateCatalogItems({ data: { type: 'catalog-item-bulk-update-job', attributes: { items: { data } } } }),
      status: (api, id) => api.getBulkUpdateCatalogItemsJob(id),
    },
    delete: {
      submitOperation: 'bulk_delete_catalog_items',
      statusOperation: 'get_bulk_delete_catalog_items_job',
      submit: (api, data) =>
        api.bulkDeleteCatalogItems({ data: { type: 'catalog-item-bulk-delete-job', attributes: { items: { data } } } }),
      status: (api, id) => api.getBulkDeleteCatalogItemsJob(id),
    },
  },
  variant: {
    create: {
      submitOperation: 'bulk_create_catalog_variants',
      statusOperation: 'get_bulk_create_variants_job',
      submit: (api, data) =>
        api.bulkCreateCatalogVariants({
          data: { type: 'catalog-variant-bulk-create-job', attributes: { variants: { data } } },
        }),
      status: (api, id) => api.getBulkCreateVariantsJob(id),
    },
    update: {
      submitOperation: 'bulk_update_catalog_variants',
      statusOperation: 'get_bulk_update_variants_job',
      submit: (api, data) =>
        api.bulkUpdateCatalogVariants({
          data: { type: 'catalog-variant-bulk-update-job', attributes: { variants: { data } } },
        }),
      status: (api, id) => api.getBulkUpdateVariantsJob(id),
    },
    delete: {
      submitOperation: 'bulk_delete_catalog_variants',
      statusOperation: 'get_bulk_delete_variants_job',
      submit: (api, data) =>
        api.bulkDeleteCatalogVariants({
          data: { type: 'catalog-variant-bulk-delete-job', attributes: { variants: { data } } },
        }),
      status: (api, id) => api.getBulkDeleteVariantsJob(id),
    },
  },
  category: {
    create: {
      submitOperation: 'bulk_create_catalog_categories',
      statusOperation: 'get_bulk_create_categories_job',
      submit: (api, data) =>
        api.bulkCreateCatalogCategories({
          data: { type: 'catalog-category-bulk-create-job', attributes: { categories: { data } } },
        }),
      status: (api, id) => api.getBulkCreateCategoriesJob(id),
    },
    update: {
      submitOperation: 'bulk_update_catalog_categories',
      statusOperation: 'get_bulk_update_categories_job',
      submit: (api, data) =>
        api.bulkUpdateCatalogCategories({
          data: { type: 'catalog-category-bulk-update-job', attributes: { categories: { data } } },
        }),
      status: (api, id) => api.getBulkUpdateCategoriesJob(id),
    },
    delete: {
      submitOperation: 'bulk_delete_catalog_categories',
      statusOperation: 'get_bulk_delete_categories_job',
      submit: (api, data) =>
        api.bulkDeleteCatalogCategories({
          data: { type: 'catalog-category-bulk-delete-job', attributes: { categories: { data } } },
        }),
      status: (api, id) => api.getBulkDeleteCategoriesJob(id),
    },
  },
};
