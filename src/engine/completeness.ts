import type { Completeness, ImportType, RunCounters, RunState } from './run-types';

/** What the end of a run knows beside its counters. */
export interface RunEnd {
  type: ImportType;
  state: RunState;
  counters: RunCounters;
  /** Requested ids commercetools does not have (counted in `counters.failed`). */
  notFound: number;
  /** Records read whose pages Klaviyo has not answered for in full, neither failed nor skipped. */
  unsettled: number;
}

const sentUnits: Record<ImportType, Completeness['sentUnit']> = {
  customers: 'profiles',
  orders: 'events',
  categories: 'catalog categories',
  products: 'catalog items and variants',
};

const confirmedBy: Record<ImportType, string> = {
  customers: "a profile counted as imported by Klaviyo's finished import job",
  orders: 'every event of the order accepted by Klaviyo in a bulk request',
  categories: "a catalog category counted as done by Klaviyo's finished job",
  products: "the item and every variant counted as done by Klaviyo's finished jobs",
};

/**
 * The completeness of a finished run. Customers and categories are one Klaviyo record each, so
 * `confirmed` is what Klaviyo's finished jobs counted (`succeeded`) and the sum is a real check.
 * An order is several events and a product an item and its variants: a record is confirmed once
 * its page is settled in full and it neither failed nor was skipped; the records of pages that are
 * not settled in full are unaccounted.
 */
export function completenessOf(end: RunEnd): Completeness {
  const { type, counters, notFound } = end;
  const failed = counters.failed - notFound;
  const oneRecordEach = type === 'customers' || type === 'categories';
  const confirmed = oneRecordEach ? counters.succeeded : counters.read - failed - counters.skipped - end.unsettled;
  const unaccounted = counters.read - confirmed - failed - counters.skipped;
  const why = unaccounted === 0 ? undefined : whyUnaccounted(end, failed, oneRecordEach);
  let line = `read ${counters.read} ${type} = ${confirmed} confirmed + ${failed} failed + ${counters.skipped} skipped`;
  if (unaccounted !== 0) line += ` + ${unaccounted} unaccounted${why ? ` (${why})` : ''}`;
  line += `; sent ${counters.sent} ${sentUnits[type]}`;
  if (notFound > 0) line += `; ${notFound} requested ids not found in commercetools`;
  return {
    read: counters.read,
    sent: counters.sent,
    sentUnit: sentUnits[type],
    confirmed,
    confirmedBy: confirmedBy[type],
    failed,
    ...(notFound > 0 ? { notFound } : {}),
    skipped: counters.skipped,
    unaccounted,
    ...(why ? { why } : {}),
    line,
  };
}

function whyUnaccounted(end: RunEnd, failed: number, oneRecordEach: boolean): string {
  const { counters } = end;
  const reasons: string[] = [];
  if (oneRecordEach) {
    // Lower bounds, whichever failures came before sending and whichever after: above zero, each is certain.
    if (counters.sent > counters.succeeded + failed) reasons.push('still in Klaviyo jobs not followed');
    if (counters.read > counters.sent + failed + counters.skipped) reasons.push('stopped before sending');
  } else if (end.unsettled > 0) {
    reasons.push('stopped before Klaviyo answered for all of their records');
  }
  if (reasons.length > 0) return reasons.join('; ');
  return end.state === 'completed'
    ? 'the counts do not add up; please report this'
    : "stopped before sending or before Klaviyo's jobs finished";
}
