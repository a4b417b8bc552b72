import type { Logger } from '../logging/logger';
import type { FailureKind, RecordFailure, RunCounters } from './run-types';

/** How many failures and skips a status keeps; the counters count them all, the failure store keeps them all. */
const recentLimit = 50;
/** Skip reasons are fixed words, a handful per import; the bound only guards against a reason that is not. */
const skipReasonLimit = 20;
const otherSkipReasons = '(other reasons)';

/** The counts made for one page of records; they become committed when the page does. */
export interface PageCounts {
  readonly counts: RunCounters;
}

/**
 * The page (or pages) a count belongs to: one page for the whole count, or an array naming the
 * page of each record counted (its length is the count). A count without a page is committed at once.
 */
export type CountedFor = PageCounts | readonly PageCounts[];

export function zeroCounters(): RunCounters {
  return { read: 0, sent: 0, succeeded: 0, failed: 0, skipped: 0 };
}

/**
 * Counters and the latest failures of one run, updated by its importer. `counters` are live: every
 * count at once. `committed` holds only the counts of committed pages (and counts tied to no
 * page): it goes into the checkpoint, so a resumed run, which reads the uncommitted pages again,
 * counts each record once.
 */
export class RunProgress {
  readonly counters: RunCounters;
  readonly committed: RunCounters;
  readonly recentFailures: RecordFailure[] = [];
  readonly recentSkips: RecordFailure[] = [];
  /** Skips of this process's run by reason, for the summary at the end of the run. */
  readonly skipsByReason = new Map<string, number>();
  /** Requested ids commercetools does not have, counted as failed: never read. */
  notFoundCount: number;
  private readonly keep?: (kind: FailureKind, id: string, reason: string) => void;
  lastProcessedId?: string;

  /**
   * With a logger, every failure is logged (id and reason) and every skip at debug level; with
   * `keep`, each is handed to it as well (the run's failure store). A resumed run starts from the
   * saved counters and count of ids not found (`notFound`: counted at once, never with a page).
   */
  constructor(
    initial?: RunCounters,
    private readonly logger?: Logger,
    options: { notFound?: number; keep?: (kind: FailureKind, id: string, reason: string) => void } = {},
  ) {
    this.counters = { ...zeroCounters(), ...initial };
    this.committed = { ...zeroCounters(), ...initial };
    this.notFoundCount = options.notFound ?? 0;
    this.keep = options.keep;
  }

  read(count: number, page?: CountedFor): void {
    this.count('read', count, page);
  }

  sent(count: number, page?: CountedFor): void {
    this.count('sent', count, page);
  }

  succeeded(count: number, page?: CountedFor): void {
    this.count('succeeded', count, page);
  }

  failed(id: string, reason: string, page?: PageCounts): void {
    this.count('failed', 1, page);
    remember(this.recentFailures, { id, reason });
    this.keep?.('failed', id, reason);
    this.logger?.warn({ id, reason }, 'Record failed');
  }

  /** A requested id commercetools does not have: failed, though it was never read. */
  notFound(id: string): void {
    this.notFoundCount++;
    this.failed(id, 'not found in commercetools');
  }

  skipped(id: string, reason: string, page?: PageCounts): void {
    this.count('skipped', 1, page);
    remember(this.recentSkips, { id, reason });
    const tallied =
      this.skipsByReason.has(reason) || this.skipsByReason.size < skipReasonLimit ? reason : otherSkipReasons;
    this.skipsByReason.set(tallied, (this.skipsByReason.get(tallied) ?? 0) + 1);
    this.keep?.('skipped', id, reason);
    this.logger?.debug({ id, reason }, 'Record skipped');
  }

  /** Moves a page's counts into the committed counters: its every record is settled. */
  commit(page: PageCounts): void {
    for (const field of Object.keys(page.counts) as (keyof RunCounters)[]) this.committed[field] += page.counts[field];
  }

  private count(field: keyof RunCounters, count: number, page: CountedFor | undefined): void {
    this.counters[field] += count;
    if (page === undefined) {
      this.committed[field] += count;
    } else if (isPageList(page)) {
      for (const each of page) each.counts[field] += 1;
      this.committed[field] += count - page.length;
    } else {
      page.counts[field] += count;
    }
  }
}

function isPageList(page: CountedFor): page is readonly PageCounts[] {
  return Array.isArray(page);
}

function remember(list: RecordFailure[], entry: RecordFailure): void {
  list.push(entry);
  if (list.length > recentLimit) list.shift();
}
