import type { Logger } from '../logging/logger';
import type { RecordFailure, RunCounters } from './run-types';

/** How many failures and skips a status keeps; the counters count them all. */
const recentLimit = 50;

/** Counters and the latest failures of one run, updated by its importer. */
export class RunProgress {
  readonly counters: RunCounters;
  readonly recentFailures: RecordFailure[] = [];
  readonly recentSkips: RecordFailure[] = [];
  lastProcessedId?: string;

  /** With a logger, every failure is logged (id and reason) and every skip at debug level. */
  constructor(initial?: RunCounters, private readonly logger?: Logger) {
    this.counters = { read: 0, sent: 0, succeeded: 0, failed: 0, skipped: 0 };
    if (initial) Object.assign(this.counters, initial);
  }

  read(count: number): void {
    this.counters.read += count;
  }

  sent(count: number): void {
    this.counters.sent += count;
  }

  succeeded(count: number): void {
    this.counters.succeeded += count;
  }

  failed(id: string, reason: string): void {
    this.counters.failed++;
    remember(this.recentFailures, { id, reason });
    this.logger?.warn({ id, reason }, 'Record failed');
  }

  skipped(id: string, reason: string): void {
    this.counters.skipped++;
    remember(this.recentSkips, { id, reason });
    this.logger?.debug({ id, reason }, 'Record skipped');
  }
}

function remember(list: RecordFailure[], entry: RecordFailure): void {
  list.push(entry);
  if (list.length > recentLimit) list.shift();
}
