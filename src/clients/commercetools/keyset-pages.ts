/** Most records commercetools returns in one query. */
export const maxPageSize = 500;

/** A slice of the id space: ids greater than `afterId` and, when set, less than `beforeId`. */
export interface IdRange {
  afterId?: string;
  beforeId?: string;
}

/** A type alias, not an interface, so it fits the SDK's open `queryArgs` type. */
export type PageQuery = {
  where: string[];
  sort: string;
  limit: number;
  withTotal: false;
  /** References to expand in every record of the page. */
  expand?: string[];
};

/**
 * Reads every record of a range in id order, a page at a time: `id > "<last id>"` instead of
 * offsets, because offsets stop at 10,000 and shift when records are added during the run.
 */
export async function* keysetPages<T extends { id: string }>(
  fetchPage: (query: PageQuery) => Promise<T[]>,
  range: IdRange,
  options: { where?: string[]; pageSize?: number } = {},
): AsyncGenerator<T[]> {
  const limit = options.pageSize ?? maxPageSize;
  let afterId = range.afterId;
  for (;;) {
    const where = [...(options.where ?? [])];
    if (afterId !== undefined) where.push(`id > ${quote(afterId)}`);
    if (range.beforeId !== undefined) where.push(`id < ${quote(range.beforeId)}`);
    const page = await fetchPage({ where, sort: 'id asc', limit, withTotal: false });
    if (page.length > 0) yield page;
    if (page.length < limit) return;
    afterId = page[page.length - 1].id;
  }
}

/**
 * Splits the id space into `parts` ranges by leading hex digit, so several readers can page at
 * once. commercetools ids are random UUIDs, so the ranges hold about the same number of records.
 * `id > "4"` includes every id that starts with 4, so a boundary works as an exclusive start.
 */
export function splitIdSpace(parts: number): IdRange[] {
  const count = Math.max(1, Math.min(16, Math.floor(parts)));
  const boundaries = Array.from({ length: count - 1 }, (_, index) =>
    Math.round(((index + 1) * 16) / count).toString(16),
  );
  return Array.from({ length: count }, (_, index) => ({
    afterId: index === 0 ? undefined : boundaries[index - 1],
    beforeId: index === count - 1 ? undefined : boundaries[index],
  }));
}

/** A string literal for a commercetools predicate. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * Reads the records with the given ids, in id order, `chunkSize` ids per query; `onMissing` hears
 * of ids commercetools does not have. Only ids after the range's `afterId` are read, so a resumed
 * run picks up where it stopped.
 */
export async function* idListPages<T extends { id: string }>(
  fetchPage: (query: PageQuery) => Promise<T[]>,
  ids: readonly string[],
  range: IdRange,
  onMissing: (id: string) => void,
  chunkSize = 100,
): AsyncGenerator<T[]> {
  const wanted = [...new Set(ids)].sort().filter((id) => range.afterId === undefined || id > range.afterId);
  for (let start = 0; start < wanted.length; start += chunkSize) {
    const chunk = wanted.slice(start, start + chunkSize);
    const page = await fetchPage({
      where: [`id in (${chunk.map(quote).join(', ')})`],
      sort: 'id asc',
      limit: chunkSize,
      withTotal: false,
    });
    const found = new Set(page.map((record) => record.id));
    for (const id of chunk) if (!found.has(id)) onMissing(id);
    if (page.length > 0) yield page;
  }
}
