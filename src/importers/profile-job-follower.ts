import type { KlaviyoClient } from '../clients/klaviyo/klaviyo-client';
import { getProfileImportJob, profileImportErrors, type ProfileImportError } from '../clients/klaviyo/profiles';
import type { ImportRun } from '../engine/importer';
import { sleep } from '../engine/retry';
import { unfinishedJobReason } from './unfinished-job';

/** A submitted job and the customers in it, in the order they were sent. */
export interface SubmittedProfileJob {
  jobId: string;
  /** Empty for a job carried over from a stopped run: errors then name customers by external id. */
  customerIds: string[];
  /** Profiles already sent once without their phone number: a second refusal is final. */
  withoutPhone: boolean;
}

/** What a checkpoint keeps of a job not followed to the end yet. */
export type UnfinishedProfileJob = Pick<SubmittedProfileJob, 'jobId' | 'withoutPhone'>;

/**
 * A job not finished yet is asked about again after 250 ms, then 500 ms, then every second: a
 * small job is often done within the first half second, and waiting a whole second for it was most
 * of the time a run of 10,000 customers took. At most one request a second, as before, once a job
 * takes longer.
 */
const firstPollMs = 250;
const maxPollMs = 1_000;
/**
 * Jobs submitted and not yet followed to the end; a submission waits while this many are, so
 * reading cannot run ahead of Klaviyo's processing and the checkpoint's list of unfinished jobs
 * stays short.
 */
const defaultMaxUnfinished = 8;

/**
 * Follows submitted profile import jobs to the end, one poll at a time (polling shares Klaviyo's
 * 150/min limit with nothing else), and turns their per-profile errors into failures with reasons.
 * Profiles refused only for their phone number are handed back to be sent again without it.
 */
export class ProfileJobFollower {
  private readonly jobs: Array<SubmittedProfileJob & { deadline: number }> = [];
  private loop?: Promise<void>;
  private failure: unknown;
  /** Submissions waiting for the number of unfinished jobs to drop. */
  private roomWaiters: Array<() => void> = [];

  constructor(
    private readonly klaviyo: KlaviyoClient,
    private readonly run: ImportRun,
    private readonly resendWithoutPhone: (customerIds: string[]) => Promise<SubmittedProfileJob[]>,
    private readonly onUnfinishedChange: (unfinished: UnfinishedProfileJob[]) => void,
    private readonly maxUnfinished = defaultMaxUnfinished,
  ) {}

  /**
   * Follows a submitted job; resolves once fewer than `maxUnfinished` jobs are unfinished, so the
   * caller submits no more until then. Throws once following failed; after a stop it takes the
   * job without waiting, for the checkpoint.
   */
  async follow(job: SubmittedProfileJob): Promise<void> {
    this.enqueue(job);
    while (this.jobs.length >= this.maxUnfinished && this.loop && !this.run.signal.aborted) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.throwIfFailed();
  }

  private enqueue(job: SubmittedProfileJob): void {
    this.jobs.push({ ...job, deadline: Date.now() + this.klaviyo.jobTimeoutMs });
    this.reportUnfinished();
    this.loop ??= this.followAll()
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.loop = undefined;
        this.wakeWaiters();
      });
  }

  private wakeWaiters(): void {
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined && !this.run.signal.aborted) throw this.failure;
  }

  /**
   * Resolves when every job is done, or soon after a stop: Klaviyo finishes the jobs anyway, and
   * the ones not followed yet were reported for the checkpoint.
   */
  async drain(): Promise<void> {
    while (this.loop) await this.loop;
    this.throwIfFailed();
  }

  /** Tells the checkpoint which jobs are unfinished, and lets a waiting submission on when there is room. */
  private reportUnfinished(): void {
    this.onUnfinishedChange(this.jobs.map(({ jobId, withoutPhone }) => ({ jobId, withoutPhone })));
    if (this.jobs.length < this.maxUnfinished) this.wakeWaiters();
  }

  private async followAll(): Promise<void> {
    let waitMs = firstPollMs;
    while (this.jobs.length > 0) {
      if (this.run.signal.aborted) return;
      const job = this.jobs[0];
      const status = await getProfileImportJob(this.klaviyo, job.jobId, this.run.signal).catch((error: unknown) => {
        if (this.run.signal.aborted) return undefined;
        throw error;
      });
      if (!status) continue;
      if (status.status !== 'complete' && status.status !== 'cancelled') {
        if (Date.now() >= job.deadline) {
          this.giveUp(job);
          waitMs = firstPollMs;
          continue;
        }
        await sleep(waitMs, this.run.signal).catch(() => undefined);
        waitMs = Math.min(waitMs * 2, maxPollMs);
        continue;
      }
      waitMs = firstPollMs;
      await this.settle(job, status.totalCount, status.status === 'cancelled');
      this.jobs.shift();
      this.reportUnfinished();
    }
  }

  /** A job still not finished at its deadline: its customers count as failed, and the jobs behind it go on. */
  private giveUp(job: SubmittedProfileJob): void {
    const reason = unfinishedJobReason('profile import job', job.jobId);
    this.run.logger.warn({ jobId: job.jobId, customers: job.customerIds.length }, 'Klaviyo did not finish a profile import job in time');
    for (const id of job.customerIds) this.run.progress.failed(id, reason);
    if (job.customerIds.length === 0) this.run.progress.failed(job.jobId, reason);
    this.jobs.shift();
    this.reportUnfinished();
  }

  private async settle(job: SubmittedProfileJob, total: number, cancelled: boolean): Promise<void> {
    const { progress, logger } = this.run;
    if (cancelled) {
      for (const id of job.customerIds) progress.failed(id, 'Klaviyo cancelled the import job');
      if (job.customerIds.length === 0) progress.failed(job.jobId, `Klaviyo cancelled the import job of ${total} profiles`);
      return;
    }
    const phoneRefused: string[] = [];
    const failed = new Set<string>();
    for await (const error of profileImportErrors(this.klaviyo, job.jobId, this.run.signal)) {
      const customerId = customerOf(error, job.customerIds);
      if (!customerId || failed.has(customerId)) continue;
      failed.add(customerId);
      if (!job.withoutPhone && isPhoneError(error)) phoneRefused.push(customerId);
      else progress.failed(customerId, `Klaviyo refused the profile: ${error.code} ${error.title}${error.pointer ? ` at ${error.pointer}` : ''}`);
    }
    progress.succeeded(total - failed.size);
    if (phoneRefused.length > 0) {
      logger.info({ jobId: job.jobId, profiles: phoneRefused.length }, 'Sending profiles again without their phone number');
      // Resends are followed behind the others without waiting for room: this loop makes the room.
      for (const retry of await this.resendWithoutPhone(phoneRefused)) this.enqueue(retry);
    }
  }
}

/** The customer behind an error: by its index in the job (the pointer), else by the echoed external id. */
function customerOf(error: ProfileImportError, customerIds: string[]): string | undefined {
  if (customerIds.length === 0) return error.externalId;
  const index = /\/profiles\/data\/(\d+)/.exec(error.pointer ?? '')?.[1];
  if (index !== undefined && customerIds[Number(index)]) return customerIds[Number(index)];
  return error.externalId && customerIds.includes(error.externalId) ? error.externalId : undefined;
}

function isPhoneError(error: ProfileImportError): boolean {
  return /phone_number/.test(error.pointer ?? '') || /phone/i.test(error.title);
}
