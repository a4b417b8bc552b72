import type { Product } from '@commercetools/platform-sdk';
import type { CommercetoolsClient } from './commercetools-client';
import { idListPages } from './keyset-pages';

/** The part of a product the events need; a commercetools Product fits. */
export interface ProductLike {
  masterData: { current: { categories: ReadonlyArray<{ id: string }> } };
}

/** Products remembered per run; about 150 bytes each, so the cap keeps memory in the tens of MB. */
const maxProducts = 100_000;

/**
 * The categories of products, read by id in queries of 100 and remembered for the run: orders
 * keep buying the same products, so most pages need no product query at all. Readers running at
 * once share a query under way instead of each sending their own.
 */
export class ProductCategories {
  private readonly known = new Map<string, Promise<ProductLike | undefined>>();

  constructor(private readonly client: CommercetoolsClient) {}

  /**
   * The products with these ids; a product deleted since (absent in commercetools) is absent here.
   * A failed query fails the run, so its rejection is not worth forgetting.
   */
  async byIds(ids: Iterable<string>, signal?: AbortSignal): Promise<Map<string, ProductLike>> {
    const wanted = [...new Set(ids)];
    if (this.known.size + wanted.length > maxProducts) this.known.clear();
    const unknown = wanted.filter((id) => !this.known.has(id));
    if (unknown.length > 0) {
      const fetched = this.fetch(unknown, signal);
      for (const id of unknown)
        this.known.set(
          id,
          fetched.then((products) => products.get(id)),
        );
    }
    // All at once, so that a failed query rejects into a handler for every id, not just the first.
    const products = await Promise.all(wanted.map((id) => this.known.get(id)!));
    const found = new Map<string, ProductLike>();
    products.forEach((product, index) => product && found.set(wanted[index], product));
    return found;
  }

  private async fetch(ids: string[], signal?: AbortSignal): Promise<Map<string, ProductLike>> {
    const fetchPage = this.client.queryPage('products', signal);
    const products = new Map<string, ProductLike>();
    const ignoreDeleted = () => undefined;
    for await (const page of idListPages<Product>(fetchPage, ids, {}, ignoreDeleted)) {
      // Only the categories are kept: a product's other data is large and the events do not use it.
      for (const product of page)
        products.set(product.id, { masterData: { current: { categories: product.masterData.current.categories } } });
    }
    return products;
  }
}
