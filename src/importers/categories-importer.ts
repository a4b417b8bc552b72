import type { Category } from '@commercetools/platform-sdk';
import { CategoryCache } from '../clients/commercetools/category-cache';
import type { KlaviyoCatalog } from '../clients/klaviyo/catalog';
import type { EffectiveRequest, Importer, ImportRun } from '../engine/importer';
import { readRanges } from '../engine/read-ranges';
import { mapCatalogCategory } from '../mappers/catalog-category';
import { deleteAllCategories } from './catalog-delete-all';
import { CatalogQueues } from './catalog-jobs';
import { planCategory } from './catalog-plans';
import { readerRanges } from './record-reading';
import type { ImporterDeps } from './importer-deps';

/** Categories are few (thousands at most): one reader is enough. */
const readerCount = 1;
/** Categories between read and settled. */
const backlogLimit = 5_000;

/**
 * Every commercetools category becomes a Klaviyo catalog category named by its path
 * ("Women > Pants > Jeans"). Categories Klaviyo lacks are created, those whose name changed are
 * updated, the others are left alone; all through bulk jobs.
 */
export class CategoriesImporter implements Importer {
  readonly type = 'categories';

  constructor(
    private readonly deps: ImporterDeps,
    private readonly catalog: KlaviyoCatalog,
  ) {}

  initialRanges(request: EffectiveRequest) {
    return readerRanges(request, readerCount);
  }

  async importRecords(run: ImportRun): Promise<void> {
    const { commercetools, config } = this.deps;
    const { catalog } = this;
    if (run.request.mode === 'deleteAll') return deleteAllCategories(catalog, run);

    // Every ancestor's name is needed for a path, whichever range it falls in.
    const categories = await CategoryCache.load(commercetools, run.signal);
    run.logger.info({ categories: categories.size }, 'Categories loaded');
    const queues = new CatalogQueues(catalog, run, backlogLimit);

    try {
      // The cache holds every category already: the pages come from it.
      const { request } = run;
      const include =
        request.mode === 'since'
          ? (category: Category) => categories.changedSince(category, request.modifiedFrom)
          : undefined;
      await readRanges(
        run,
        (range) =>
          request.mode === 'ids'
            ? categories.listedPages(request.ids, range, (id) => run.progress.notFound(id))
            : categories.pages(range, include),
        async (page, rangeIndex) => {
          await queues.backlog.roomAvailable();
          const mappings = page.map((category) =>
            mapCatalogCategory(category, { preferredLocale: config.preferredLocale, categoryById: categories.byId }),
          );
          const existingNames = await catalog.findCategoryNames(
            mappings.map((mapping) => mapping.id),
            run.signal,
          );
          const ticket = run.tracker.openPage(rangeIndex, page[page.length - 1].id, page.length);
          page.forEach((category, index) => {
            const plan = planCategory(mappings[index], existingNames.get(mappings[index].id));
            if (plan.action === 'unchanged') {
              run.progress.skipped(category.id, 'unchanged in Klaviyo', ticket);
              run.tracker.settle(ticket);
              return;
            }
            const sent =
              plan.action === 'create'
                ? queues.of('category', 'create').send(plan.record)
                : queues.of('category', 'update').send(plan.record);
            const settled = sent.then((failure) => {
              if (failure) run.progress.failed(category.id, failure, ticket);
              run.tracker.settle(ticket);
            });
            queues.backlog.track(settled);
          });
        },
      );
    } finally {
      // Jobs already submitted settle their records before the run ends, however it ends.
      await queues.drain();
    }
  }
}
