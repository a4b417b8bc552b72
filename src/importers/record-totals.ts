import type { CommercetoolsClient } from '../clients/commercetools/commercetools-client';
import { quote } from '../clients/commercetools/keyset-pages';
import { timeBoundPredicates } from '../clients/commercetools/time-bounds';
import type { RecordCounter } from '../engine/job-engine';
import { timeBoundsOf } from '../engine/run-types';

/**
 * commercetools stops counting the records a query predicate selects at the largest offset,
 * 10,000; a count without a predicate is exact.
 */
const largestFilteredCount = 10_000;

/**
 * How many commercetools records a run reads, for its progress: one count query for a full import,
 * one from a start id or within time bounds, the number of distinct ids for a list. A deletion reads
 * Klaviyo, not commercetools: it has no total, and neither has a predicate that selects 10,000
 * records or more.
 */
export function recordTotals(commercetools: CommercetoolsClient): RecordCounter {
  return async (type, request, signal) => {
    switch (request.mode) {
      case 'all':
        return commercetools.countRecords(type, [], signal);
      case 'startId':
        return filteredCount(commercetools, type, [`id >= ${quote(request.startId)}`], signal);
      case 'since':
      case 'window':
        return filteredCount(commercetools, type, timeBoundPredicates(timeBoundsOf(request)), signal);
      case 'ids':
        return new Set(request.ids).size;
      case 'deleteAll':
        return undefined;
    }
  };
}

async function filteredCount(
  commercetools: CommercetoolsClient,
  ...[type, predicates, signal]: Parameters<CommercetoolsClient['countRecords']>
): Promise<number | undefined> {
  const count = await commercetools.countRecords(type, predicates, signal);
  return count < largestFilteredCount ? count : undefined;
}
