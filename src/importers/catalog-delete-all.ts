import type { ExistingCatalogItem, KlaviyoCatalog } from '../clients/klaviyo/catalog';
import type { ImportRun } from '../engine/importer';
import { CatalogQueues, type RecordFailure } from './catalog-jobs';

/** Klaviyo records listed and not yet deleted; listing waits while this many are pending. */
const backlogLimit = 5_000;

/**
 * Deletes every category of the Klaviyo catalog, whoever created it, in bulk delete jobs.
 * Pages are deleted as they are listed, so nothing holds the whole catalog.
 */
export async function deleteAllCategories(catalog: KlaviyoCatalog, run: ImportRun): Promise<void> {
  const queues = new CatalogQueues(catalog, run, backlogLimit);
  const categories = queues.of('category', 'delete');
  await deleteInPasses(
    run,
    queues,
    () => catalog.listCategoryIds(run.signal),
    (id) => id,
    (id) => categories.send({ type: 'catalog-category', id }),
  );
}

/**
 * Deletes every item of the Klaviyo catalog with its variants, whoever created them: an item's
 * variants first, then the item, so no variant is left without its item whatever Klaviyo does with
 * the variants of a deleted item. An item one of whose variants could not be deleted is kept.
 */
export async function deleteAllItems(catalog: KlaviyoCatalog, run: ImportRun): Promise<void> {
  const queues = new CatalogQueues(catalog, run, backlogLimit);
  const items = queues.of('item', 'delete');
  const variants = queues.of('variant', 'delete');
  const deleteItem = async (item: ExistingCatalogItem): Promise<RecordFailure> => {
    const variantFailures = await Promise.all(
      item.variantIds.map((id) => variants.send({ type: 'catalog-variant', id })),
    );
    const variantFailure = variantFailures.find(Boolean);
    if (variantFailure) return `variant not deleted, so the item is kept: ${variantFailure}`;
    return items.send({ type: 'catalog-item', id: item.id });
  };
  await deleteInPasses(
    run,
    queues,
    () => catalog.listItems(run.signal),
    (item) => item.id,
    deleteItem,
  );
}

/**
 * Lists and deletes until a pass deletes nothing. Deleting while paging can make Klaviyo's cursor
 * skip records, so a pass after the first picks those up; a record whose deletion failed is listed
 * and tried again by the next pass (and counted again), and once a pass deletes nothing, only such
 * records are left and the passes end. Nothing is kept across pages but the pass's counts.
 */
async function deleteInPasses<T>(
  run: ImportRun,
  queues: CatalogQueues,
  listPages: () => AsyncIterable<T[]>,
  idOf: (record: T) => string,
  deleteOne: (record: T) => Promise<RecordFailure>,
): Promise<void> {
  for (let pass = 1; ; pass++) {
    let listed = 0;
    let deleted = 0;
    for await (const records of listPages()) {
      if (run.signal.aborted) break;
      listed += records.length;
      run.progress.read(records.length);
      await queues.backlog.roomAvailable();
      for (const record of records) {
        const deletion = deleteOne(record).then((failure) => {
          if (failure) run.progress.failed(idOf(record), failure);
          else deleted++;
        });
        queues.backlog.track(deletion);
      }
    }
    await queues.drain();
    run.signal.throwIfAborted();
    run.logger.info({ pass, listed, deleted }, 'Catalog deletion pass done');
    if (deleted === 0) return;
  }
}
