import { quote } from './keyset-pages';

/** Bounds on a record's timestamps, each an ISO 8601 time in UTC; a bound left out does not limit. */
export interface TimeBounds {
  /** `lastModifiedAt` at or after this. */
  modifiedFrom?: string;
  /** `createdAt` at or after this. */
  createdFrom?: string;
  /** `createdAt` before this. */
  createdTo?: string;
}

/**
 * The `where` predicates that keep a query to the bounds. They go beside the keyset predicates on
 * the id: paging stays in id order, so a record changed while the run reads is read at most once.
 */
export function timeBoundPredicates(bounds: TimeBounds): string[] {
  const predicates: string[] = [];
  if (bounds.modifiedFrom !== undefined) predicates.push(`lastModifiedAt >= ${quote(bounds.modifiedFrom)}`);
  if (bounds.createdFrom !== undefined) predicates.push(`createdAt >= ${quote(bounds.createdFrom)}`);
  if (bounds.createdTo !== undefined) predicates.push(`createdAt < ${quote(bounds.createdTo)}`);
  return predicates;
}
