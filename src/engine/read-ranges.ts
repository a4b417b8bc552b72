import type { IdRange } from '../clients/commercetools/keyset-pages';
import type { ImportRun } from './importer';
import type { PageCounts } from './run-progress';

/**
 * Runs one reader per range at once and hands each page to `handlePage` with its range index.
 * A page is handled before its reader fetches the next one, so a slow Klaviyo slows reading
 * (memory stays flat). A page's `read` count, and whatever is counted for `page` before its
 * ticket is opened, are committed with the page. Stops reading when the run is aborted; the first
 * error stops every reader.
 */
export async function readRanges<T extends { id: string }>(
  run: ImportRun,
  readRange: (range: IdRange) => AsyncIterable<T[]> | Iterable<T[]>,
  handlePage: (records: T[], rangeIndex: number, page: PageCounts) => Promise<void>,
): Promise<void> {
  let firstError: unknown;
  const readers = run.ranges.map(async (range, rangeIndex) => {
    try {
      for await (const page of readRange(range)) {
        if (run.signal.aborted || firstError !== undefined) return;
        const counts = run.tracker.beginPage(rangeIndex);
        run.progress.read(page.length, counts);
        await handlePage(page, rangeIndex, counts);
      }
    } catch (error) {
      firstError ??= error;
    }
  });
  await Promise.all(readers);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what a reader caught, whatever it is
  if (firstError !== undefined) throw firstError;
}
