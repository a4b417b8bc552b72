import type { KlaviyoCatalog } from '../clients/klaviyo/catalog';
import type { Importer } from '../engine/importer';
import type { ImportType } from '../engine/run-types';
import { CategoriesImporter } from './categories-importer';
import { CustomersImporter } from './customers-importer';
import type { ImporterDeps } from './importer-deps';
import { OrdersImporter } from './orders-importer';
import { ProductsImporter } from './products-importer';

/** The importer of every type, over one set of dependencies and one catalog. */
export function createImporters(deps: ImporterDeps, catalog: KlaviyoCatalog): Record<ImportType, Importer> {
  return {
    customers: new CustomersImporter(deps),
    orders: new OrdersImporter(deps),
    categories: new CategoriesImporter(deps, catalog),
    products: new ProductsImporter(deps, catalog),
  };
}
