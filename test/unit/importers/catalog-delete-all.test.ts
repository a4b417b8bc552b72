import type { ExistingCatalogItem, KlaviyoCatalog } from '../../../src/clients/klaviyo/catalog';
import type { CatalogJobOutcome } from '../../../src/clients/klaviyo/catalog-job-outcome';
import type { ImportRun } from '../../../src/engine/importer';
import { RunProgress } from '../../../src/engine/run-progress';
import { deleteAllItems } from '../../../src/importers/catalog-delete-all';
import { createLogger } from '../../../src/logging/logger';

/**
 * A catalog of items and their variants that deletes what delete jobs name, but refuses to delete
 * the variants listed in `undeletable`. Its list pages show what is left, two items a page.
 */
function fakeCatalog(items: Record<string, string[]>, undeletable: Set<string>) {
  const state = new Map(Object.entries(items));
  const submitted: string[] = [];
  const catalog = {
    async *listItems(): AsyncGenerator<ExistingCatalogItem[]> {
      const all = [...state].map(([id, variantIds]) => ({ id, variantIds: [...variantIds] }));
      for (let start = 0; start < all.length; start += 2) yield all.slice(start, start + 2);
    },
    async submit(kind: string, action: string, records: Array<{ id: string }>) {
      submitted.push(`${kind} ${action} ${records.map((record) => record.id).join(',')}`);
      const refused = new Map<number, string>();
      records.forEach((record, index) => {
        if (undeletable.has(record.id)) refused.set(index, 'conflict: in use');
        else if (kind === 'item') state.delete(record.id);
        else
          for (const [itemId, variantIds] of state)
            state.set(
              itemId,
              variantIds.filter((id) => id !== record.id),
            );
      });
      const outcome: CatalogJobOutcome = {
        jobId: `job-${submitted.length}`,
        cancelled: false,
        refused,
        unattributed: [],
      };
      return { jobId: outcome.jobId, finished: Promise.resolve(outcome) };
    },
  };
  return { catalog: catalog as unknown as KlaviyoCatalog, state, submitted };
}

const fakeRun = () =>
  ({
    progress: new RunProgress(),
    logger: createLogger('silent'),
    signal: new AbortController().signal,
  }) as unknown as ImportRun;

describe('deleteAllItems', () => {
  it('deletes every item after its variants, and keeps an item one of whose variants could not be deleted', async () => {
    const { catalog, state, submitted } = fakeCatalog(
      { i1: ['v1', 'v2'], i2: ['v3', 'v-stuck'], i3: [], i4: ['v4'] },
      new Set(['v-stuck']),
    );
    const run = fakeRun();

    await deleteAllItems(catalog, run);

    expect([...state]).toStrictEqual([['i2', ['v-stuck']]]);
    expect(submitted.some((job) => /^item delete .*i2/.test(job))).toBe(false);
    // Pass 1 deletes three items and fails i2; pass 2 tries i2 again, deletes nothing, and ends.
    expect(run.progress.counters).toMatchObject({ read: 5, failed: 2 });
    expect(run.progress.recentFailures.map((failure) => failure.id)).toStrictEqual(['i2', 'i2']);
    expect(run.progress.recentFailures[0].reason).toBe(
      'variant not deleted, so the item is kept: Klaviyo refused the variant delete: conflict: in use',
    );
  });

  it('ends after a pass that lists nothing when everything was deleted', async () => {
    const { catalog, state } = fakeCatalog({ i1: ['v1'], i2: [], i3: ['v2', 'v3'] }, new Set());
    const run = fakeRun();
    await deleteAllItems(catalog, run);
    expect(state.size).toBe(0);
    expect(run.progress.counters).toMatchObject({ read: 3, failed: 0 });
  });
});
