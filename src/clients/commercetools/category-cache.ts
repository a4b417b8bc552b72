import type { Category } from '@commercetools/platform-sdk';
import type { CommercetoolsClient } from './commercetools-client';
import { keysetPages, type PageQuery } from './keyset-pages';

/**
 * Every category of the project, read once per run: category paths need each ancestor's name,
 * and looking them up per order or product would cost a request each. Projects have thousands
 * of categories at most, so they fit in memory.
 */
export class CategoryCache {
  private constructor(private readonly categories: ReadonlyMap<string, Category>) {}

  /** Reads all categories, 500 per request, in id order. */
  static async load(client: CommercetoolsClient, signal?: AbortSignal): Promise<CategoryCache> {
    const fetchPage = (query: PageQuery) =>
      client
        .call('queryCategories', () => client.api.categories().get({ queryArgs: query }).execute(), signal)
        .then((page) => page.results);
    const categories = new Map<string, Category>();
    for await (const page of keysetPages(fetchPage, {})) {
      for (const category of page) categories.set(category.id, category);
    }
    return new CategoryCache(categories);
  }

  get size(): number {
    return this.categories.size;
  }

  /** A lookup for the mappers (a `CategoryLookup`); undefined for a category that does not exist. */
  readonly byId = (id: string): Category | undefined => this.categories.get(id);
}
