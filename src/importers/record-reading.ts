import { idListPages, keysetPages, splitIdSpace, type IdRange, type PageQuery } from '../clients/commercetools/keyset-pages';
import type { EffectiveRequest, ImportRun } from '../engine/importer';

/**
 * The readers' ranges for a catalog run: `parallelReaders` slices of the id space for a full
 * import, one range for a list of ids or a deletion (which reads Klaviyo, not commercetools), and
 * everything after the given id for `startId`, which names the last record a previous run finished.
 */
export function catalogRanges(request: EffectiveRequest, parallelReaders: number): IdRange[] {
  switch (request.mode) {
    case 'all':
      return splitIdSpace(parallelReaders);
    case 'startId':
      return [{ afterId: request.startId }];
    case 'ids':
    case 'deleteAll':
      return [{}];
  }
}

/** The pages of one range: the requested ids (missing ones counted as failed), else every record in it. */
export function catalogPages<T extends { id: string }>(
  run: ImportRun,
  fetchPage: (query: PageQuery) => Promise<T[]>,
  pageSize?: number,
): (range: IdRange) => AsyncIterable<T[]> {
  const { request } = run;
  return (range) =>
    request.mode === 'ids'
      ? idListPages(fetchPage, request.ids, range, (id) => run.progress.failed(id, 'not found in commercetools'), pageSize)
      : keysetPages(fetchPage, range, { pageSize });
}
