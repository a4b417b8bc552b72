import type { Category } from '@commercetools/platform-sdk';
import type { CommercetoolsClient } from './commercetools-client';
import { keysetPages, maxPageSize, type IdRange } from './keyset-pages';

/**
 * Every category of the project, read once per run: category paths need each ancestor's name,
 * and looking them up per order or product would cost a request each. Projects have thousands
 * of categories at most, so they fit in memory.
 */
export class CategoryCache {
  private constructor(private readonly categories: ReadonlyMap<string, Category>) {}

  /** Reads all categories, 500 per request, in id order. */
  static async load(client: CommercetoolsClient, signal?: AbortSignal): Promise<CategoryCache> {
    const categories = new Map<string, Category>();
    for await (const page of keysetPages(client.queryPage('categories', signal), {})) {
      for (const category of page) categories.set(category.id, category);
    }
    return new CategoryCache(categories);
  }

  get size(): number {
    return this.categories.size;
  }

  /**
   * The categories of an id range that `include` keeps, in id order, a page at a time: the
   * categories import reads them from here rather than from commercetools a second time.
   */
  async *pages(
    { afterId, beforeId }: IdRange,
    include: (category: Category) => boolean = () => true,
    pageSize = maxPageSize,
  ): AsyncGenerator<Category[]> {
    let page: Category[] = [];
    // The map was filled in id order (keyset reading).
    for (const category of this.categories.values()) {
      if ((afterId !== undefined && category.id <= afterId) || (beforeId !== undefined && category.id >= beforeId))
        continue;
      if (!include(category)) continue;
      page.push(category);
      if (page.length === pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  /**
   * Whether the category or one of its ancestors changed at or after `time` (ISO 8601, UTC): a
   * category's Klaviyo name is its path, which a renamed or moved ancestor changes too.
   */
  changedSince(category: Category, time: string): boolean {
    return [category, ...category.ancestors.map((ancestor) => this.categories.get(ancestor.id))].some(
      (inPath) => inPath !== undefined && Date.parse(inPath.lastModifiedAt) >= Date.parse(time),
    );
  }

  /**
   * The categories with the given ids after the range's `afterId`, in id order, a page at a time;
   * `onMissing` hears of ids the project does not have (as `idListPages` reads from commercetools).
   */
  *listedPages(
    ids: readonly string[],
    { afterId }: IdRange,
    onMissing: (id: string) => void,
    pageSize = maxPageSize,
  ): Generator<Category[]> {
    const wanted = [...new Set(ids)].sort().filter((id) => afterId === undefined || id > afterId);
    for (let start = 0; start < wanted.length; start += pageSize) {
      const page: Category[] = [];
      for (const id of wanted.slice(start, start + pageSize)) {
        const category = this.categories.get(id);
        if (category) page.push(category);
        else onMissing(id);
      }
      if (page.length > 0) yield page;
    }
  }

  /** A lookup for the mappers (a `CategoryLookup`); undefined for a category that does not exist. */
  readonly byId = (id: string): Category | undefined => this.categories.get(id);
}
