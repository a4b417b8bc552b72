import type { CommercetoolsClient } from '../clients/commercetools/commercetools-client';
import { quote } from '../clients/commercetools/keyset-pages';
import type { RecordCounter } from '../engine/job-engine';

/**
 * How many commercetools records a run reads, for its progress: one count query for a full import
 * or one from a start id, the number of distinct ids for a list. A deletion reads Klaviyo, not
 * commercetools: it has no total.
 */
export function recordTotals(commercetools: CommercetoolsClient): RecordCounter {
  return (type, request, signal) => {
    switch (request.mode) {
      case 'all':
        return commercetools.countRecords(type, [], signal);
      case 'startId':
        return commercetools.countRecords(type, [`id >= ${quote(request.startId)}`], signal);
      case 'ids':
        return Promise.resolve(new Set(request.ids).size);
      case 'deleteAll':
        return Promise.resolve(undefined);
    }
  };
}
