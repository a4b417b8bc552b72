import {
  catalogJobLimits,
  catalogRecordIndexesOfPointer,
  type CatalogAction,
  type CatalogJobOutcome,
  type CatalogJobRecord,
  type CatalogKind,
  type KlaviyoCatalog,
  type SubmittedCatalogJob,
} from '../clients/klaviyo/catalog';
import type { ImportRun } from '../engine/importer';
import { sendSplittingRefusals, type SplitOutcome } from '../engine/send-splitting-refusals';
import { unfinishedJobReason } from './unfinished-job';

/** Told once per record: undefined when Klaviyo took it, else why not. */
export type RecordDone = (failure?: string) => void;

interface QueuedRecord<R> {
  record: R;
  bytes: number;
  done: RecordDone;
}

export interface CatalogJobQueueOptions {
  /** A batch that is not full goes out this long after its first record came in. */
  lingerMs: number;
  /** Room left under Klaviyo's 5 MB for the job's JSON:API envelope. */
  envelopeBytes: number;
  /** Hears the error that stopped the queue, so readers waiting for room stop waiting. */
  onFatal?: (error: unknown) => void;
}

const defaultQueueOptions: CatalogJobQueueOptions = { lingerMs: 200, envelopeBytes: 50_000 };

/**
 * The one way catalog records reach Klaviyo: records of one kind and action are gathered into bulk
 * jobs of at most 100 records and 5 MB, each job is run to its end under the account's cap of jobs
 * in progress, and every record's `done` hears its own outcome. A record Klaviyo refuses, in the
 * job or when the job is submitted, fails alone (the others are submitted again); an error that
 * retries could not get past, or one every request would get (401, 403 …), stops the queue, and
 * `add` and `drain` throw it, which fails the run.
 */
export class CatalogJobQueue<K extends CatalogKind, A extends CatalogAction> {
  private batch: QueuedRecord<CatalogJobRecord<K, A>>[] = [];
  private batchBytes = 0;
  private lingerTimer?: NodeJS.Timeout;
  private readonly running = new Set<Promise<void>>();
  private fatal: unknown;

  constructor(
    private readonly catalog: KlaviyoCatalog,
    readonly kind: K,
    readonly action: A,
    private readonly run: ImportRun,
    private readonly options: CatalogJobQueueOptions = defaultQueueOptions,
  ) {}

  add(record: CatalogJobRecord<K, A>, done: RecordDone): void {
    this.throwIfStopped();
    const bytes = Buffer.byteLength(JSON.stringify(record));
    if (this.batch.length > 0 && !fitsInJob(this.batch.length, this.batchBytes, bytes, this.options.envelopeBytes)) {
      this.dispatch();
    }
    this.batch.push({ record, bytes, done });
    this.batchBytes += bytes;
    if (this.batch.length >= catalogJobLimits.records) this.dispatch();
    else this.lingerTimer ??= setTimeout(() => this.dispatch(), this.options.lingerMs);
  }

  /** Nothing gathered and no job running. */
  get idle(): boolean {
    return this.batch.length === 0 && this.running.size === 0;
  }

  /** Sends what is gathered and waits for every job, including those its records' callbacks start. */
  async drain(): Promise<void> {
    this.dispatch();
    while (this.running.size > 0) {
      await Promise.race(this.running);
      this.dispatch();
    }
    this.throwIfStopped();
  }

  private dispatch(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.batch.length === 0 || this.fatal !== undefined) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const job = this.runJob(batch).finally(() => this.running.delete(job));
    this.running.add(job);
  }

  private async runJob(batch: QueuedRecord<CatalogJobRecord<K, A>>[]): Promise<void> {
    const { progress, logger, signal } = this.run;
    let outcome: SplitOutcome<QueuedRecord<CatalogJobRecord<K, A>>, SubmittedCatalogJob>;
    try {
      outcome = await sendSplittingRefusals(
        batch,
        async (part) => {
          const job = await this.catalog.submit(this.kind, this.action, part.map((queued) => queued.record), signal);
          progress.sent(part.length);
          return job;
        },
        { recordIndexesOfPointer: catalogRecordIndexesOfPointer, refusedWhat: `Klaviyo refused the ${this.kind} ${this.action}` },
      );
    } catch (error) {
      this.stop(error);
      return;
    }
    if (outcome.refused.length > 0) {
      logger.warn({ kind: this.kind, action: this.action, records: batch.length, refused: outcome.refused.length }, 'Klaviyo refused catalog records of a job; the others were sent again');
    }
    for (const { record, reason } of outcome.refused) record.done(reason);
    await Promise.all(outcome.accepted.map(({ records, result }) => this.settleJob(records, result)));
  }

  /** Tells each record of a submitted job its outcome once the job is finished. */
  private async settleJob(batch: QueuedRecord<CatalogJobRecord<K, A>>[], job: SubmittedCatalogJob): Promise<void> {
    const { progress, logger } = this.run;
    let outcome: CatalogJobOutcome;
    try {
      outcome = await job.finished;
    } catch (error) {
      this.stop(error);
      return;
    }
    const failures = jobFailures(outcome, batch.length, `${this.kind} ${this.action}`);
    progress.succeeded(batch.length - failures.size);
    if (outcome.timedOut) {
      logger.warn({ jobId: outcome.jobId, kind: this.kind, action: this.action, records: batch.length }, 'Klaviyo did not finish a catalog job in time');
    } else if (failures.size > 0) {
      logger.warn({ jobId: outcome.jobId, kind: this.kind, action: this.action, records: batch.length, refused: failures.size }, 'Catalog job refused records');
    }
    batch.forEach((queued, index) => queued.done(failures.get(index)));
  }

  /**
   * Stopped, Klaviyo out of reach, or an answer every request would get (401, 403 …): the records
   * stay unsettled, so the checkpoint stays before them, and the run ends with the error.
   */
  private stop(error: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    this.options.onFatal?.(error);
  }

  private throwIfStopped(): void {
    if (this.fatal !== undefined) throw this.fatal;
  }
}

/** True when one more record of `bytes` keeps a job of `count` records and `batchBytes` within Klaviyo's limits. */
export function fitsInJob(count: number, batchBytes: number, bytes: number, envelopeBytes: number): boolean {
  return count < catalogJobLimits.records && batchBytes + bytes <= catalogJobLimits.bytes - envelopeBytes;
}

/**
 * The failure of each record of a finished job, by position. Failures Klaviyo did not attribute to
 * a record cannot be placed, so they fail every record that was not refused on its own: the next
 * run sends those again, which is harmless, where counting them as done would hide a loss.
 */
export function jobFailures(outcome: CatalogJobOutcome, recordCount: number, jobName: string): Map<number, string> {
  const failures = new Map<number, string>();
  for (const [index, reason] of outcome.refused) failures.set(index, `Klaviyo refused the ${jobName}: ${reason}`);
  let blanket: string | undefined;
  if (outcome.cancelled) blanket = `Klaviyo cancelled the ${jobName} job`;
  else if (outcome.timedOut) blanket = unfinishedJobReason(`${jobName} job`, outcome.jobId);
  else if (outcome.unattributed.length > 0) {
    blanket = `the ${jobName} job reported failures without naming the record: ${outcome.unattributed[0]}`;
  }
  if (blanket) {
    for (let index = 0; index < recordCount; index++) if (!failures.has(index)) failures.set(index, blanket);
  }
  return failures;
}

/**
 * One commercetools record waiting for the Klaviyo records sent for it. It settles when the last
 * one is done, with the first failure if any. Expect more before marking one done, so the count
 * never touches zero early (an item's variants are expected before the item is marked done).
 */
export class RecordSettlement {
  private pending = 0;
  private failure?: string;

  constructor(private readonly onSettled: (failure?: string) => void) {}

  expect(count = 1): void {
    this.pending += count;
  }

  done(failure?: string): void {
    this.failure ??= failure;
    this.pending--;
    if (this.pending === 0) this.onSettled(this.failure);
    else if (this.pending < 0) throw new Error('a record settled more Klaviyo records than it expected');
  }
}

/**
 * How many commercetools records are between read and settled. Reading waits while it is at the
 * limit, so memory stays flat however large the catalog; a stop ends the wait with the stop's reason.
 */
export class Backlog {
  private count = 0;
  private readonly waiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  private stopped?: { error: unknown };

  constructor(private readonly limit: number) {}

  enter(count: number): void {
    this.count += count;
  }

  leave(count = 1): void {
    this.count -= count;
    while (this.count < this.limit && this.waiters.length > 0) this.waiters.shift()!.resolve();
  }

  /** Resolves once the backlog is below its limit; rejects once it is stopped. */
  roomAvailable(): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped.error);
    if (this.count < this.limit) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  stop(error: unknown): void {
    this.stopped ??= { error };
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.stopped.error);
  }
}

/**
 * The job queues of one run, one per kind and action, and the backlog they drain. A record's
 * callback may add records to another queue (an item's variants once the item exists), so
 * `drain` goes round the queues until none has work left.
 */
export class CatalogQueues {
  readonly backlog: Backlog;
  private readonly queues = new Map<string, CatalogJobQueue<CatalogKind, CatalogAction>>();

  constructor(
    private readonly catalog: KlaviyoCatalog,
    private readonly run: ImportRun,
    backlogLimit: number,
    private readonly options: Partial<CatalogJobQueueOptions> = {},
  ) {
    this.backlog = new Backlog(backlogLimit);
    const onAbort = () => this.backlog.stop(run.signal.reason);
    if (run.signal.aborted) onAbort();
    else run.signal.addEventListener('abort', onAbort, { once: true });
  }

  of<K extends CatalogKind, A extends CatalogAction>(kind: K, action: A): CatalogJobQueue<K, A> {
    const key = `${kind} ${action}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new CatalogJobQueue(this.catalog, kind, action, this.run, {
        ...defaultQueueOptions,
        ...this.options,
        onFatal: (error) => this.backlog.stop(error),
      });
      this.queues.set(key, queue);
    }
    return queue as unknown as CatalogJobQueue<K, A>;
  }

  async drain(): Promise<void> {
    while ([...this.queues.values()].some((queue) => !queue.idle)) {
      for (const queue of this.queues.values()) await queue.drain();
    }
  }
}
