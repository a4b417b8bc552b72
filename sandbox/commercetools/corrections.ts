/**
 * Corrections of @labdigital/commercetools-mock where it departs from the real commercetools API
 * in ways that silently break a bulk import: sorting dropped from queries, `version: 0` drafts that
 * overwrite, empty expanded ancestors, and ancestors listed parent first (found by the catalog
 * end-to-end test).
 *
 * Two mechanisms, both in this module:
 * - `CorrectedStorage`, a subclass of the mock's exported `InMemoryStorage`: everything that is
 *   about data (sorted paging, category ancestors) happens where the data lives.
 * - `installCorrections`: a fastify `onRoute` hook that swaps the handlers of the few routes whose
 *   request handling is wrong (it runs inside the mock's own plugin scope, so the mock's OAuth
 *   check and error handler still apply), and the category repository's answer.
 *
 * Each correction is proven by a test against the raw mock as well (test/sandbox/commercetools-
 * corrections.test.ts); when such a test starts failing on its "raw" half, the mock has been fixed
 * and the correction can go.
 */
import type { CommercetoolsMock } from '@labdigital/commercetools-mock';
// Types only: fastify is the mock's HTTP server; its routes are what the corrections hook into.
import type { FastifyRequest, RouteHandlerMethod } from 'fastify';
import {
  type GetParams,
  type QueryParams,
  type QueryResult,
  type Resource,
  type ResourceType,
  SandboxStorage,
} from './storage';

/** The resource kinds whose query endpoint is corrected, as the mock's storage names them. */
const SORTED_QUERY_TYPES = {
  customers: 'customer',
  orders: 'order',
  categories: 'category',
  products: 'product',
} as const;
type SortedQueryType = (typeof SORTED_QUERY_TYPES)[keyof typeof SORTED_QUERY_TYPES];

type CategoryReference = { typeId: 'category'; id: string };
type StoredCategory = { id: string; parent?: CategoryReference; ancestors: CategoryReference[] };

/** The commercetools query limits (https://docs.commercetools.com/api/limits). */
const MAX_QUERY_LIMIT = 500;
const MAX_QUERY_OFFSET = 10_000;
const DEFAULT_QUERY_LIMIT = 20;

const isSortedQueryType = (typeId: ResourceType): typeId is SortedQueryType =>
  (Object.values(SORTED_QUERY_TYPES) as string[]).includes(typeId);

const asList = (value: unknown): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);

/** A sort the fast path can serve: by `createdAt` and/or `id`, each ascending or descending. */
type SortClause = { field: 'id' | 'createdAt'; descending: boolean };

const parseFastSort = (sort: unknown): SortClause[] | undefined => {
  const clauses: SortClause[] = [];
  for (const text of asList(sort)) {
    const [field, direction = 'asc', ...rest] = text.trim().split(/\s+/);
    if ((field !== 'id' && field !== 'createdAt') || rest.length > 0 || !/^(asc|desc)$/i.test(direction))
      return undefined;
    clauses.push({ field, descending: direction.toLowerCase() === 'desc' });
    // Ids are unique, so clauses after `id` can never change the order.
    if (field === 'id') break;
  }
  return clauses;
};

/**
 * A `where` on the id the fast path can serve: `id <op> "x"` or `id in ("a", "b")`. `from` is
 * where a scan of ascending ids may start: ids below it never match (a keyset page's `id > "x"`).
 */
type IdPredicate = { matches: (id: string) => boolean; from?: string };

const ID_COMPARISONS: Record<string, (id: string, value: string) => boolean> = {
  '=': (id, value) => id === value,
  '!=': (id, value) => id !== value,
  '<>': (id, value) => id !== value,
  '>': (id, value) => id > value,
  '>=': (id, value) => id >= value,
  '<': (id, value) => id < value,
  '<=': (id, value) => id <= value,
};

const parseIdPredicate = (where: string): IdPredicate | undefined => {
  const comparison = /^id\s*(!=|<>|>=|<=|=|>|<)\s*"([^"\\]*)"$/.exec(where.trim());
  if (comparison) {
    const [, operator, value] = comparison;
    const compare = ID_COMPARISONS[operator];
    return { matches: (id) => compare(id, value), from: ['>', '>=', '='].includes(operator) ? value : undefined };
  }
  const inList = /^id\s+in\s*\(((?:\s*"[^"\\]*"\s*,?)*)\)$/i.exec(where.trim());
  if (inList) {
    const ids = new Set([...inList[1].matchAll(/"([^"\\]*)"/g)].map((match) => match[1]));
    return { matches: (id) => ids.has(id) };
  }
  return undefined;
};

/** The first position in ascending `ids` whose id is `from` or after it. */
const firstAtOrAfter = (ids: string[], from: string): number => {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ids[middle] < from) low = middle + 1;
    else high = middle;
  }
  return low;
};

/**
 * The mock's in-memory storage with the data-level corrections.
 *
 * Deviation 1 (sort), data half: the storage itself can sort, but sorting means cloning every
 * stored record on every page (`all()` deep-copies), which takes seconds for 100,000 orders.
 * Queries on the four imported resource kinds that sort by `id` and/or `createdAt` and filter
 * only on the id are answered from a sorted id index instead; a keyset page then costs a scan of
 * ids plus the page itself. Everything else goes to the mock's own predicate engine.
 *
 * Deviation 3 (ancestors): the mock stores categories created through the API with
 * `ancestors: []` and fills them in only when the category endpoint answers, so expanding
 * `masterData.current.categories[*].ancestors[*]` on products (which reads the stored category)
 * finds none. Here every category is stored with its ancestors, root first, computed from its
 * parent when it is written, and a parent change rewrites the stored ancestors of its subtree.
 */
export class CorrectedStorage extends SandboxStorage {
  /** Per `projectKey/typeId`: id -> createdAt, in insertion order (the mock's unsorted order). */
  private readonly createdAtById = new Map<string, Map<string, string>>();

  /** Per `projectKey/typeId/sort`: ids in that order; dropped when the set of ids changes. */
  private readonly orderings = new Map<string, string[]>();

  override async add<RT extends ResourceType>(
    projectKey: string,
    typeId: RT,
    resource: Resource<RT>,
    params?: GetParams,
  ): Promise<Resource<RT>> {
    if (typeId !== 'category') {
      const stored = await super.add(projectKey, typeId, resource, params);
      this.track(projectKey, typeId, resource);
      return stored;
    }
    const category = resource as unknown as StoredCategory;
    const previous = (await super.get(projectKey, 'category', category.id)) as StoredCategory | null;
    const ancestors = await this.ancestorsFromParent(projectKey, category.parent);
    const stored = await super.add(projectKey, typeId, { ...resource, ancestors }, params);
    this.track(projectKey, typeId, resource);
    if (previous && previous.parent?.id !== category.parent?.id) {
      await this.rewriteDescendantAncestors(projectKey, category.id);
    }
    return stored;
  }

  override async load<RT extends ResourceType>(
    projectKey: string,
    typeId: RT,
    resources: Array<Resource<RT>>,
  ): Promise<void> {
    if (typeId === 'category') {
      // Few, and their ancestors are derived from the parents stored before them.
      for (const category of resources) await this.add(projectKey, typeId, category);
      return;
    }
    await super.load(projectKey, typeId, resources);
    for (const resource of resources) this.track(projectKey, typeId, resource);
  }

  override async delete<RT extends ResourceType>(
    projectKey: string,
    typeId: RT,
    id: string,
    params: GetParams = {},
  ): Promise<Resource<RT> | null> {
    const deleted = await super.delete(projectKey, typeId, id, params);
    if (deleted && this.createdAtById.get(indexKey(projectKey, typeId))?.delete(id)) {
      this.dropOrderings(projectKey, typeId);
    }
    return deleted;
  }

  override async clear(): Promise<void> {
    await super.clear();
    this.createdAtById.clear();
    this.orderings.clear();
  }

  override async query<RT extends ResourceType>(
    projectKey: string,
    typeId: RT,
    params: QueryParams,
  ): Promise<QueryResult<RT>> {
    const result =
      (await this.indexedQuery(projectKey, typeId, params)) ?? (await super.query(projectKey, typeId, params));
    // withTotal=false is how clients skip the (on the real API, costly) count; it is absent then.
    if (params.withTotal === false) {
      const { total: _omitted, ...withoutTotal } = result;
      return withoutTotal as QueryResult<RT>;
    }
    return result;
  }

  private async indexedQuery<RT extends ResourceType>(
    projectKey: string,
    typeId: RT,
    params: QueryParams,
  ): Promise<QueryResult<RT> | undefined> {
    if (!isSortedQueryType(typeId)) return undefined;
    const sort = parseFastSort(params.sort);
    const predicates = asList(params.where).map(parseIdPredicate);
    if (!sort || predicates.some((predicate) => predicate === undefined)) return undefined;

    const stored = await this.storedRecords(projectKey, typeId);
    const offset = params.offset ?? 0;
    const limit = params.limit || DEFAULT_QUERY_LIMIT;
    const countAll = params.withTotal !== false;
    const pageIds: string[] = [];
    let matches = 0;
    const ids = this.ordering(projectKey, typeId, sort);
    // In ascending id order the ids below a lower bound match nothing: the scan starts at the bound,
    // so a keyset page costs its own ids, not every id before them.
    const bounds = predicates.flatMap((predicate) => (predicate!.from === undefined ? [] : [predicate!.from]));
    const ascendingById = sort.length === 1 && sort[0].field === 'id' && !sort[0].descending;
    const start = ascendingById && bounds.length > 0 ? firstAtOrAfter(ids, bounds.sort().at(-1)!) : 0;
    for (let index = start; index < ids.length; index++) {
      const id = ids[index];
      if (!predicates.every((predicate) => predicate!.matches(id))) continue;
      if (matches >= offset && pageIds.length < limit) pageIds.push(id);
      matches += 1;
      if (!countAll && pageIds.length === limit) break;
    }
    const expand = params.expand === undefined ? undefined : asList(params.expand);
    // Expansion writes into the records it expands, so expanded pages get copies (and categories,
    // few anyway, always do). Customers, orders and products go out as stored, which is what keeps a
    // page of 500 orders fast (copying them would cost more than everything else together).
    const results =
      expand || typeId === 'category'
        ? await Promise.all(pageIds.map((id) => this.get(projectKey, typeId, id, { expand })))
        : pageIds.map((id) => stored.get(id));
    return { limit, offset, count: results.length, total: matches, results } as QueryResult<RT>;
  }

  private track(projectKey: string, typeId: ResourceType, resource: { id: string; createdAt?: string }): void {
    if (!isSortedQueryType(typeId)) return;
    const key = indexKey(projectKey, typeId);
    let createdAts = this.createdAtById.get(key);
    if (!createdAts) {
      createdAts = new Map();
      this.createdAtById.set(key, createdAts);
    }
    const createdAt = resource.createdAt ?? '';
    if (createdAts.get(resource.id) !== createdAt) {
      createdAts.set(resource.id, createdAt);
      this.dropOrderings(projectKey, typeId);
    }
  }

  private ordering(projectKey: string, typeId: SortedQueryType, sort: SortClause[]): string[] {
    const key = `${indexKey(projectKey, typeId)}/${sort.map((c) => `${c.field}:${c.descending}`).join(',')}`;
    const cached = this.orderings.get(key);
    if (cached) return cached;
    const createdAts = this.createdAtById.get(indexKey(projectKey, typeId)) ?? new Map<string, string>();
    // Plain `<`/`>` on strings (also what the default sort does), the comparison the mock's
    // predicate engine uses for `id > "x"`, so the keyset cursor and the sort agree; ISO
    // timestamps compare chronologically that way too.
    let ids: string[];
    if (sort.length === 1 && sort[0].field === 'id') {
      ids = [...createdAts.keys()].sort();
      if (sort[0].descending) ids.reverse();
    } else {
      const records = [...createdAts].map(([id, createdAt]) => ({ id, createdAt }));
      records.sort((left, right) => {
        for (const { field, descending } of sort) {
          if (left[field] !== right[field]) return (left[field] < right[field] ? -1 : 1) * (descending ? -1 : 1);
        }
        return 0;
      });
      ids = records.map((record) => record.id);
    }
    this.orderings.set(key, ids);
    return ids;
  }

  private dropOrderings(projectKey: string, typeId: ResourceType): void {
    const prefix = `${indexKey(projectKey, typeId)}/`;
    for (const key of this.orderings.keys()) if (key.startsWith(prefix)) this.orderings.delete(key);
  }

  private async ancestorsFromParent(
    projectKey: string,
    parent: CategoryReference | undefined,
  ): Promise<CategoryReference[]> {
    if (!parent) return [];
    const stored = (await super.get(projectKey, 'category', parent.id)) as StoredCategory | null;
    if (!stored) return [];
    return [...stored.ancestors, { typeId: 'category', id: stored.id }];
  }

  private async rewriteDescendantAncestors(projectKey: string, movedId: string): Promise<void> {
    const categories: StoredCategory[] = await this.all(projectKey, 'category');
    // Shallowest first, so each category's parent already carries its new ancestors.
    const descendants = categories
      .filter((category) => category.ancestors.some((ancestor) => ancestor.id === movedId))
      .sort((a, b) => a.ancestors.length - b.ancestors.length);
    for (const descendant of descendants) {
      await super.add(projectKey, 'category', {
        ...descendant,
        ancestors: await this.ancestorsFromParent(projectKey, descendant.parent),
      } as unknown as Resource<'category'>);
    }
  }
}

const indexKey = (projectKey: string, typeId: ResourceType) => `${projectKey}/${typeId}`;

/**
 * Installs the corrections that are not about storage: route handlers swapped through a fastify
 * `onRoute` hook, and the category repository's answer. Must be called before the mock's fastify
 * app is started (its plugins, and so its routes, register at start-up).
 */
export function installCorrections(mock: CommercetoolsMock, storage: CorrectedStorage): void {
  mock.app.addHook('onRoute', (route) => {
    const methods = asList(route.method);
    const queryRoute = /^\/:projectKey\/(customers|orders|categories|products)\/?$/.exec(route.url);
    if (queryRoute && methods.includes('GET')) {
      const typeId = SORTED_QUERY_TYPES[queryRoute[1] as keyof typeof SORTED_QUERY_TYPES];
      route.handler = sortedQueryHandler(mock, typeId);
    }
    if (methods.includes('POST') && /^\/:projectKey\/custom-objects(\/:container\/:key)?\/?$/.test(route.url)) {
      route.handler = versionCheckedCustomObjectHandler(storage, route.handler);
    }
  });

  // Deviation 4 (ancestor order on the category endpoint): the mock's category repository
  // rebuilds `ancestors` on every answer by walking up from the parent, so it lists them parent
  // first; commercetools lists them root first. The storage keeps them root first (deviation 3)
  // and has already expanded `ancestors[*]` when asked, so the answer is the category as stored.
  // (The repositories are shared by all projects; `project()` only picks the default key.)
  mock.project().getRepository('category').postProcessResource = async (_context, category) => category;
}

type ProjectRequest = FastifyRequest<{ Params: { projectKey: string } & Record<string, string> }>;

/**
 * Deviation 1 (sort), request half: the mock's query handler builds the storage query from
 * `where`, `limit`, `offset` and `expand` and drops `sort` (and `withTotal`), so results come in
 * insertion order and keyset paging skips and repeats records. This handler passes them on, and
 * enforces the API's limit and offset bounds, which the mock does not check.
 */
function sortedQueryHandler(mock: CommercetoolsMock, typeId: SortedQueryType): RouteHandlerMethod {
  return async (request, reply) => {
    const { projectKey } = (request as ProjectRequest).params;
    const query = request.query as Record<string, unknown>;
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    const offset = query.offset === undefined ? undefined : Number(query.offset);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && limit <= MAX_QUERY_LIMIT)) {
      return reply.status(400).send(invalidInput(`The limit must be an integer from 0 to ${MAX_QUERY_LIMIT}.`));
    }
    if (offset !== undefined && !(Number.isInteger(offset) && offset >= 0 && offset <= MAX_QUERY_OFFSET)) {
      return reply.status(400).send(invalidInput(`The offset must be an integer from 0 to ${MAX_QUERY_OFFSET}.`));
    }
    const predicateVariables = Object.fromEntries(
      Object.entries(query).filter(([name]) => name.startsWith('var.')),
    ) as Record<string, string | string[]>;
    const result = await mock
      .project(projectKey)
      .getRepository(typeId)
      .query(
        { projectKey },
        {
          ...predicateVariables,
          where: query.where === undefined ? undefined : asList(query.where),
          sort: query.sort === undefined ? undefined : asList(query.sort),
          expand: query.expand === undefined ? undefined : asList(query.expand),
          limit,
          offset,
          withTotal:
            query.withTotal === undefined ? undefined : (query.withTotal as string | string[]).toString() !== 'false',
        },
      );
    return reply.status(200).send(result);
  };
}

/**
 * Deviation 2 (custom object version): commercetools requires a draft's `version`, when given, to
 * equal the existing object's version. The mock skips the check when the version is 0 ("no
 * version") and overwrites, so `version: 0` is no create-if-absent and a lock built on it can be
 * taken twice. This handler answers 409 ConcurrentModification for any version mismatch on an
 * existing object, and otherwise leaves the request to the mock.
 */
function versionCheckedCustomObjectHandler(
  storage: CorrectedStorage,
  mockHandler: RouteHandlerMethod,
): RouteHandlerMethod {
  return async function (this: unknown, request, reply) {
    const params = (request as ProjectRequest).params;
    const draft = (request.body ?? {}) as { container?: string; key?: string; version?: unknown };
    const container = params.container ?? draft.container;
    const key = params.key ?? draft.key;
    if (typeof draft.version === 'number' && container !== undefined && key !== undefined) {
      const current = await storage.getByContainerAndKey(params.projectKey, container, key);
      if (current && current.version !== draft.version) {
        const message = `Object ${current.id} has a different version than expected. Expected: ${draft.version} - Actual: ${current.version}.`;
        return reply.status(409).send({
          statusCode: 409,
          message,
          errors: [{ code: 'ConcurrentModification', message, currentVersion: current.version }],
        });
      }
    }
    return mockHandler.call(this as never, request, reply);
  };
}

const invalidInput = (message: string) => ({
  statusCode: 400,
  message,
  errors: [{ code: 'InvalidInput', message }],
});
