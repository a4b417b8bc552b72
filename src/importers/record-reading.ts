import {
  idListPages,
  keysetPages,
  splitIdSpace,
  type IdRange,
  type PageQuery,
} from '../clients/commercetools/keyset-pages';
import { timeBoundPredicates } from '../clients/commercetools/time-bounds';
import type { EffectiveRequest, ImportRun } from '../engine/importer';
import { timeBoundsOf } from '../engine/run-types';

/**
 * The readers' ranges of a customers or catalog run: `parallelReaders` slices of the id space for
 * a full, incremental or window import, one range for a list of ids or a deletion (which reads
 * Klaviyo, not commercetools). A start id is for orders only, which read their own ranges.
 */
export function readerRanges(request: EffectiveRequest, parallelReaders: number): IdRange[] {
  return request.mode === 'ids' || request.mode === 'deleteAll' ? [{}] : splitIdSpace(parallelReaders);
}

/**
 * The pages of one range: the requested ids (missing ones counted as failed), else every record in
 * it within the request's time bounds.
 */
export function recordPages<T extends { id: string }>(
  run: ImportRun,
  fetchPage: (query: PageQuery) => Promise<T[]>,
  pageSize?: number,
): (range: IdRange) => AsyncIterable<T[]> {
  const { request } = run;
  return (range) =>
    request.mode === 'ids'
      ? idListPages(fetchPage, request.ids, range, (id) => run.progress.notFound(id), pageSize)
      : keysetPages(fetchPage, range, { pageSize, where: timeBoundPredicates(timeBoundsOf(request)) });
}
