import { bulkJobHandlers } from './bulk-jobs';
import { listCollection, resource, type OperationHandler, type RequestContext, type Resource } from './context';
import { asSingleRecord, notFound, RecordError, requireBodyIdMatchesPath } from './errors';
import type { Attributes, BulkJobKind, CatalogRecord, EmulatorState } from './state';
import { bulkRecords, type Identifier, type ResourceObject } from './wire';

type Relationships = ResourceObject['relationships'];

/**
 * What differs between catalog items, variants and categories. CRUD, listing and the nine
 * bulk job kinds are built from these three descriptions by the same code.
 */
interface CatalogKind {
  type: string;
  /** Path segment under /api. */
  collection: string;
  /** Singular and plural noun of the bulk job paths and bodies (`item`, `items`). */
  noun: string;
  nouns: string;
  records(state: EmulatorState): Map<string, CatalogRecord>;
  /** Attributes as Klaviyo returns them, with the values a create leaves out. */
  defaults: Attributes;
  hasCreatedTimestamp: boolean;
  /** Applies the relationships of a create or update body; throws RecordError on a missing target. */
  relate(state: EmulatorState, record: CatalogRecord, relationships: Relationships, creating: boolean): void;
  /** What deleting the record does to others. */
  unlink(state: EmulatorState, record: CatalogRecord): void;
  relationshipsOf(state: EmulatorState, record: CatalogRecord, baseUrl: string): Record<string, unknown>;
  /** Filter fields beyond `ids` and the record's own attributes. */
  relatedField(state: EmulatorState, record: CatalogRecord, field: string): unknown;
}

const PRODUCT_DEFAULTS: Attributes = {
  external_id: null,
  title: null,
  description: null,
  price: null,
  url: null,
  image_full_url: null,
  image_thumbnail_url: null,
  images: [],
  custom_metadata: null,
  published: true,
};

function relationLinks(baseUrl: string, collection: string, id: string, relation: string) {
  const encoded = encodeURIComponent(id);
  return {
    self: `${baseUrl}/api/${collection}/${encoded}/relationships/${relation}/`,
    related: `${baseUrl}/api/${collection}/${encoded}/${relation}/`,
  };
}

function requireExisting(
  records: Map<string, CatalogRecord>,
  id: string | null | undefined,
  what: string,
  pointer: string,
): CatalogRecord {
  const record = id ? records.get(id) : undefined;
  if (!record)
    throw new RecordError(404, 'not_found', 'Not found.', `A ${what} with id ${String(id)} does not exist.`, pointer);
  return record;
}

const items: CatalogKind = {
  type: 'catalog-item',
  collection: 'catalog-items',
  noun: 'item',
  nouns: 'items',
  records: (state) => state.catalogItems,
  defaults: PRODUCT_DEFAULTS,
  hasCreatedTimestamp: true,
  relate(state, record, relationships) {
    const categories = relationships?.categories?.data as Identifier[] | undefined;
    if (!categories) return;
    categories.forEach(({ id }, index) =>
      requireExisting(state.catalogCategories, id, 'catalog category', `/relationships/categories/data/${index}/id`),
    );
    record.categoryIds = new Set(categories.map(({ id }) => id));
  },
  unlink(state, record) {
    for (const [id, variant] of state.catalogVariants)
      if (variant.itemId === record.id) state.catalogVariants.delete(id);
  },
  relationshipsOf: (_state, record, baseUrl) => ({
    variants: { links: relationLinks(baseUrl, 'catalog-items', record.id, 'variants') },
  }),
  relatedField: (_state, record, field) => (field === 'category.id' ? [...record.categoryIds] : undefined),
};

const variants: CatalogKind = {
  type: 'catalog-variant',
  collection: 'catalog-variants',
  noun: 'variant',
  nouns: 'variants',
  records: (state) => state.catalogVariants,
  defaults: { ...PRODUCT_DEFAULTS, sku: null, inventory_policy: 0, inventory_quantity: null },
  hasCreatedTimestamp: true,
  relate(state, record, relationships, creating) {
    if (!creating) return;
    const itemId = (relationships?.item?.data as Identifier | undefined)?.id;
    record.itemId = requireExisting(state.catalogItems, itemId, 'catalog item', '/relationships/item/data/id').id;
  },
  unlink: () => undefined,
  relationshipsOf: (_state, record, baseUrl) => ({
    item: {
      data: { type: 'catalog-item', id: record.itemId },
      links: relationLinks(baseUrl, 'catalog-variants', record.id, 'item'),
    },
  }),
  relatedField: (_state, record, field) => (field === 'item.id' ? record.itemId : undefined),
};

const categories: CatalogKind = {
  type: 'catalog-category',
  collection: 'catalog-categories',
  noun: 'category',
  nouns: 'categories',
  records: (state) => state.catalogCategories,
  defaults: { external_id: null, name: null },
  hasCreatedTimestamp: false,
  relate(state, record, relationships) {
    const listed = relationships?.items?.data as Identifier[] | undefined;
    if (!listed) return;
    const linked = listed.map(({ id }, index) =>
      requireExisting(state.catalogItems, id, 'catalog item', `/relationships/items/data/${index}/id`),
    );
    categories.unlink(state, record);
    for (const item of linked) item.categoryIds.add(record.id);
  },
  unlink(state, record) {
    for (const item of state.catalogItems.values()) item.categoryIds.delete(record.id);
  },
  relationshipsOf: (_state, record, baseUrl) => ({
    items: { links: relationLinks(baseUrl, 'catalog-categories', record.id, 'items') },
  }),
  relatedField: (state, record, field) =>
    field === 'item.id'
      ? [...state.catalogItems.values()].filter((item) => item.categoryIds.has(record.id)).map((item) => item.id)
      : undefined,
};

export const catalogKinds = { items, variants, categories };

function createRecord(kind: CatalogKind, state: EmulatorState, data: ResourceObject, now: Date): CatalogRecord {
  const { integration_type: integration, catalog_type: catalog, ...given } = data.attributes ?? {};
  const id = `${(integration as string | undefined) ?? '$custom'}:::${(catalog as string | undefined) ?? '$default'}:::${String(given.external_id)}`;
  const records = kind.records(state);
  if (records.has(id))
    throw new RecordError(
      409,
      'conflict',
      'Conflict.',
      `A ${kind.type} with id ${id} already exists.`,
      '/attributes/external_id',
    );
  const timestamps = kind.hasCreatedTimestamp
    ? { created: now.toISOString(), updated: now.toISOString() }
    : { updated: now.toISOString() };
  const attributes = { ...kind.defaults, ...given, ...timestamps };
  const record: CatalogRecord = { id, attributes, categoryIds: new Set() };
  kind.relate(state, record, data.relationships, true);
  records.set(id, record);
  return record;
}

function updateRecord(kind: CatalogKind, state: EmulatorState, data: ResourceObject, now: Date): CatalogRecord {
  const record = requireExisting(kind.records(state), data.id, kind.type, '/id');
  kind.relate(state, record, data.relationships, false);
  Object.assign(record.attributes, data.attributes, { updated: now.toISOString() });
  return record;
}

function deleteRecord(kind: CatalogKind, state: EmulatorState, id: string | null | undefined): void {
  const record = requireExisting(kind.records(state), id, kind.type, '/id');
  kind.records(state).delete(record.id);
  kind.unlink(state, record);
}

export function serializeCatalogRecord(
  kind: CatalogKind,
  state: EmulatorState,
  record: CatalogRecord,
  baseUrl: string,
): Resource {
  return resource(
    baseUrl,
    kind.collection,
    kind.type,
    record.id,
    { ...record.attributes },
    kind.relationshipsOf(state, record, baseUrl),
  );
}

function bulkJobKind(kind: CatalogKind, action: 'create' | 'update' | 'delete'): BulkJobKind {
  const type = `catalog-${kind.noun}-bulk-${action}-job`;
  const apply = {
    create: (record: ResourceObject, state: EmulatorState, now: Date) => void createRecord(kind, state, record, now),
    update: (record: ResourceObject, state: EmulatorState, now: Date) => void updateRecord(kind, state, record, now),
    delete: (record: ResourceObject, state: EmulatorState) => deleteRecord(kind, state, record.id),
  }[action];
  return {
    type,
    collection: `${type}s`,
    recordsOf: (body) => bulkRecords(body, kind.nouns),
    recordsPointer: `/data/attributes/${kind.nouns}/data`,
    apply,
    errorReport: 'inline',
  };
}

function listRecords(kind: CatalogKind, context: RequestContext) {
  const { state, baseUrl } = context;
  const { page, data, links } = listCollection(context, kind.records(state).values(), {
    fieldOf: (record, field) =>
      field === 'ids' ? record.id : (kind.relatedField(state, record, field) ?? record.attributes[field]),
    serialize: (record) => serializeCatalogRecord(kind, state, record, baseUrl),
    defaultPageSize: 100,
  });
  const include = (context.query.include as string[] | undefined) ?? [];
  if (kind !== items || !include.includes('variants')) return { status: 200, body: { data, links } };
  // include=variants: each item lists its variants, which come along in `included`.
  const included: Resource[] = [];
  data.forEach((item, index) => {
    const itemVariants = [...state.catalogVariants.values()].filter((variant) => variant.itemId === page[index].id);
    (item.relationships!.variants as Record<string, unknown>).data = itemVariants.map((variant) => ({
      type: 'catalog-variant',
      id: variant.id,
    }));
    included.push(...itemVariants.map((variant) => serializeCatalogRecord(variants, state, variant, baseUrl)));
  });
  return { status: 200, body: { data, links, included } };
}

function catalogHandlers(kind: CatalogKind): OperationHandler[] {
  const one = (context: RequestContext, record: CatalogRecord, status = 200) => ({
    status,
    body: { data: serializeCatalogRecord(kind, context.state, record, context.baseUrl) },
  });
  return [
    ...(['create', 'update', 'delete'] as const).flatMap((action) => bulkJobHandlers(bulkJobKind(kind, action))),
    { method: 'GET', path: `/api/${kind.collection}`, handle: (context) => listRecords(kind, context) },
    {
      method: 'POST',
      path: `/api/${kind.collection}`,
      handle: (context) =>
        one(
          context,
          asSingleRecord(() => createRecord(kind, context.state, context.body.data, new Date())),
          201,
        ),
    },
    {
      method: 'GET',
      path: `/api/${kind.collection}/{id}`,
      handle: (context) => {
        const record = kind.records(context.state).get(context.params.id);
        if (!record) throw notFound(`A ${kind.type} with id ${context.params.id} does not exist.`);
        return one(context, record);
      },
    },
    {
      method: 'PATCH',
      path: `/api/${kind.collection}/{id}`,
      handle: (context) => {
        requireBodyIdMatchesPath(context.body, context.params.id);
        return one(
          context,
          asSingleRecord(() => updateRecord(kind, context.state, context.body.data, new Date())),
        );
      },
    },
    {
      method: 'DELETE',
      path: `/api/${kind.collection}/{id}`,
      handle: (context) => {
        asSingleRecord(() => deleteRecord(kind, context.state, context.params.id));
        return { status: 204 };
      },
    },
  ];
}

export const catalogHandlersForAllKinds: OperationHandler[] = [items, variants, categories].flatMap(catalogHandlers);
