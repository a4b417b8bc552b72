import type { KlaviyoCatalog, SubmittedCatalogJob } from '../clients/klaviyo/catalog';
import {
  catalogJobLimits,
  type CatalogAction,
  type CatalogJobRecord,
  type CatalogKind,
} from '../clients/klaviyo/catalog-endpoints';
import { catalogRecordIndexesOfPointer, type CatalogJobOutcome } from '../clients/klaviyo/catalog-job-outcome';
import type { ImportRun } from '../engine/importer';
import { BatchSender, type ItemFailure } from '../engine/batch-sender';
import { sendSplittingRefusals } from '../engine/send-splitting-refusals';
import { unfinishedJobReason } from './unfinished-job';

/** What became of a catalog record: undefined when Klaviyo took it, else why not. */
export type RecordFailure = ItemFailure;

/** A record in a job, and the promise of its outcome that `send` answered with. */
interface PendingRecord<K extends CatalogKind, A extends CatalogAction> {
  record: CatalogJobRecord<K, A>;
  resolve(failure: RecordFailure): void;
  reject(error: unknown): void;
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
 * in progress, and `send` answers each record's own outcome. A record Klaviyo refuses, in the
 * job or when the job is submitted, fails alone (the others are submitted again); an error that
 * retries could not get past, or one every request would get (401, 403 …), stops the queue: every
 * record not settled yet, and every later `send` and `drain`, reject with it, which fails the run.
 */
export class CatalogJobQueue<K extends CatalogKind, A extends CatalogAction> {
  private readonly jobs: BatchSender<PendingRecord<K, A>>;

  constructor(
    private readonly catalog: KlaviyoCatalog,
    readonly kind: K,
    readonly action: A,
    private readonly run: ImportRun,
    options: CatalogJobQueueOptions = defaultQueueOptions,
  ) {
    this.jobs = new BatchSender(
      {
        maxItems: catalogJobLimits.records,
        maxBytes: catalogJobLimits.bytes - options.envelopeBytes,
        // The account's job slots (in the catalog client) bound the jobs in progress, and the
        // backlog of the records' readers bounds what waits for them.
        concurrency: Infinity,
        sizeOf: ({ record }) => Buffer.byteLength(JSON.stringify(record)),
        lingerMs: options.lingerMs,
        onStop: options.onFatal,
      },
      (pending) => this.runJob(pending.map(({ record }) => record)),
      {
        answered: (pending, failure) => pending.resolve(failure),
        stopped: (pending, error) => pending.reject(error),
      },
    );
  }

  /** Resolves once Klaviyo has the record (undefined) or refused it (why); rejects once the queue stopped. */
  async send(record: CatalogJobRecord<K, A>): Promise<RecordFailure> {
    let pending!: PendingRecord<K, A>;
    const outcome = new Promise<RecordFailure>((resolve, reject) => (pending = { record, resolve, reject }));
    await this.jobs.add(pending);
    return outcome;
  }

  /** Sends what is gathered and waits for every job; rejects once the queue stopped. */
  drain(): Promise<void> {
    return this.jobs.flush();
  }

  /**
   * Submits the records as jobs and follows each to its end. Stopped, Klaviyo out of reach, or an
   * answer every request would get (401, 403 …) is thrown: the queue stops, no commercetools
   * record behind its records settles, so the checkpoint stays before them, and the run ends with it.
   */
  private async runJob(records: CatalogJobRecord<K, A>[]): Promise<RecordFailure[]> {
    const { progress, logger, signal } = this.run;
    const outcome = await sendSplittingRefusals(
      records,
      async (part) => {
        const job = await this.catalog.submit(this.kind, this.action, part, signal);
        progress.sent(part.length);
        return job;
      },
      {
        recordIndexesOfPointer: catalogRecordIndexesOfPointer,
        refusedWhat: `Klaviyo refused the ${this.kind} ${this.action}`,
      },
    );
    if (outcome.refused.length > 0) {
      logger.warn(
        { kind: this.kind, action: this.action, records: records.length, refused: outcome.refused.length },
        'Klaviyo refused catalog records of a job; the others were sent again',
      );
    }
    const failures = new Map(outcome.refused.map(({ record, reason }) => [record, reason]));
    await Promise.all(
      outcome.accepted.map(async ({ records: jobRecords, result: job }) => {
        const jobRecordFailures = await this.finishedJobFailures(job, jobRecords.length);
        for (const [index, failure] of jobRecordFailures) failures.set(jobRecords[index], failure);
      }),
    );
    return records.map((record) => failures.get(record));
  }

  /** The failure of each record of a submitted job, by position, once the job is finished. */
  private async finishedJobFailures(job: SubmittedCatalogJob, recordCount: number): Promise<Map<number, string>> {
    const { progress, logger } = this.run;
    const outcome = await job.finished;
    const failures = jobFailures(outcome, recordCount, `${this.kind} ${this.action}`);
    progress.succeeded(recordCount - failures.size);
    if (outcome.timedOut) {
      logger.warn(
        { jobId: outcome.jobId, kind: this.kind, action: this.action, records: recordCount },
        'Klaviyo did not finish a catalog job in time',
      );
    } else if (failures.size > 0) {
      logger.warn(
        { jobId: outcome.jobId, kind: this.kind, action: this.action, records: recordCount, refused: failures.size },
        'Catalog job refused records',
      );
    }
    return failures;
  }
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
 * The commercetools records whose Klaviyo records are out, each with the promise that settles it.
 * Reading waits while `limit` are out, so memory stays flat however large the catalog; a stop ends
 * the wait with the stop's reason.
 */
export class Backlog {
  private readonly pending = new Set<Promise<void>>();
  private readonly waiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  private stopped?: { error: unknown };

  constructor(private readonly limit: number) {}

  /**
   * Counts one record out until `settling` settles. A rejection (its queue stopped) leaves the
   * record unsettled for the checkpoint and stops the backlog, so reading ends with the error.
   */
  track(settling: Promise<void>): void {
    const tracked = settling
      .catch((error: unknown) => this.stop(error))
      .finally(() => {
        this.pending.delete(tracked);
        while (this.pending.size < this.limit && this.waiters.length > 0) this.waiters.shift()!.resolve();
      });
    this.pending.add(tracked);
  }

  /** Resolves once the backlog is below its limit; rejects once it is stopped. */
  roomAvailable(): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped.error);
    if (this.pending.size < this.limit) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Resolves once every record tracked so far has settled. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending);
  }

  stop(error: unknown): void {
    this.stopped ??= { error };
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.stopped.error);
  }
}

/**
 * The job queues of one run, one per kind and action, and the backlog of commercetools records
 * they serve. A record may send more once its first is done (an item's variants once the item
 * exists), so `drain` waits for the backlog before it drains the queues.
 */
export class CatalogQueues {
  readonly backlog: Backlog;
  private readonly queues = new Map<string, Pick<CatalogJobQueue<CatalogKind, CatalogAction>, 'drain'>>();

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
    let queue = this.queues.get(key) as CatalogJobQueue<K, A> | undefined;
    if (!queue) {
      queue = new CatalogJobQueue(this.catalog, kind, action, this.run, {
        ...defaultQueueOptions,
        ...this.options,
        onFatal: (error) => this.backlog.stop(error),
      });
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** Waits until every tracked record has settled; rejects with the error that stopped a queue. */
  async drain(): Promise<void> {
    await this.backlog.settled();
    for (const queue of this.queues.values()) await queue.drain();
  }
}
