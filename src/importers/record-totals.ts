import type { CommercetoolsClient } from '../clients/commercetools/commercetools-client';
import { quote } from '../clients/commercetools/keyset-pages';
import type { RecordCounter } from '../engine/job-engine';

/**
 * commercetools stops counting the records a query predicate selects at the largest offset,
 * 10,000; a count without a predicate is exact.
 */
const largestFilteredCount = 10_000;

/**
 * How many commercetools records a run reads, for its progress: one count query for a full import
 * or one from a start id, the number of distinct ids for a list. A deletion reads Klaviyo, not
 * commercetools: it has no total, and neither has a start id that selects 10,000 records or more.
 */
export function recordTotals(commercetools: CommercetoolsClient): RecordCounter {
  return async (type, request, signal) => {
    switch (request.mode) {
      case 'all':
        return commercetools.countRecords(type, [], signal);
      case 'startId': {
        const count = await commercetools.countRecords(type, [`id >= ${quote(request.startId)}`], signal);
        return count < largestFilteredCount ? count : undefined;
      }
      case 'ids':
        return new Set(request.ids).size;
      case 'deleteAll':
        return undefined;
    }
  };
}
