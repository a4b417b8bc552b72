import type { KlaviyoClient } from '../clients/klaviyo/klaviyo-client';
import {
  getProfileImportJob,
  profileImportErrors,
  type ProfileImportError,
  type ProfileImportJob,
} from '../clients/klaviyo/profiles';
import type { ImportRun } from '../engine/importer';
import { JobFollower } from '../platform/job-follower';
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
 * Follows submitted profile import jobs to the end through the shared JobFollower (oldest first,
 * one status request at a time: polling shares Klaviyo's 150/min limit with nothing else), and
 * turns their per-profile errors into failures with reasons. Profiles refused only for their phone
 * number are handed back to be sent again without it.
 */
export class ProfileJobFollower {
  private readonly jobs: JobFollower<ProfileImportJob>;
  /** Submitted and not followed to the end yet, in submission order (a Set keeps insertion order). */
  private readonly unfinished = new Set<SubmittedProfileJob>();
  private readonly settling = new Set<Promise<void>>();
  private failure: unknown;
  /** Ends the following of every job once one failed, so the run ends without waiting for the others. */
  private readonly stopping = new AbortController();
  private readonly signal: AbortSignal;
  /** Submissions waiting for the number of unfinished jobs to drop. */
  private roomWaiters: Array<() => void> = [];

  constructor(
    private readonly klaviyo: KlaviyoClient,
    private readonly run: ImportRun,
    private readonly resendWithoutPhone: (customerIds: string[]) => Promise<SubmittedProfileJob[]>,
    private readonly onUnfinishedChange: (unfinished: UnfinishedProfileJob[]) => void,
    private readonly maxUnfinished = defaultMaxUnfinished,
  ) {
    this.jobs = new JobFollower(
      (jobId, signal) => getProfileImportJob(klaviyo, jobId, signal),
      (status) => status.status === 'complete' || status.status === 'cancelled',
      {
        firstPollMs,
        maxPollMs,
        timeoutMs: klaviyo.jobTimeoutMs,
        inFlight: klaviyo.metrics?.jobsInFlight('get_bulk_import_profiles_job'),
      },
    );
    this.signal = AbortSignal.any([run.signal, this.stopping.signal]);
  }

  /**
   * Follows a submitted job; resolves once fewer than `maxUnfinished` jobs are unfinished, so the
   * caller submits no more until then. Throws once following failed; after a stop it takes the
   * job without waiting, for the checkpoint.
   */
  async follow(job: SubmittedProfileJob): Promise<void> {
    this.enqueue(job);
    while (this.unfinished.size >= this.maxUnfinished && !this.signal.aborted) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.throwIfFailed();
  }

  /**
   * Resolves when every job is done, or soon after a stop: Klaviyo finishes the jobs anyway, and
   * the ones not followed to the end stay reported for the checkpoint.
   */
  async drain(): Promise<void> {
    while (this.settling.size > 0) await Promise.race(this.settling);
    this.throwIfFailed();
  }

  private enqueue(job: SubmittedProfileJob): void {
    this.unfinished.add(job);
    this.reportUnfinished();
    const settled = this.jobs
      .follow(job.jobId, this.signal)
      .then((status) =>
        status ? this.settle(job, status.totalCount, status.status === 'cancelled') : this.giveUp(job),
      )
      .then(
        () => {
          this.unfinished.delete(job);
          this.reportUnfinished();
        },
        (error: unknown) => {
          // A stop leaves the job unfinished, for the checkpoint; anything else fails the run.
          if (!this.run.signal.aborted && this.failure === undefined) {
            this.failure = error;
            this.stopping.abort(error);
          }
          this.wakeWaiters();
        },
      )
      .finally(() => this.settling.delete(settled));
    this.settling.add(settled);
  }

  /** Tells the checkpoint which jobs are unfinished, and lets a waiting submission on when there is room. */
  private reportUnfinished(): void {
    this.onUnfinishedChange([...this.unfinished].map(({ jobId, withoutPhone }) => ({ jobId, withoutPhone })));
    if (this.unfinished.size < this.maxUnfinished) this.wakeWaiters();
  }

  private wakeWaiters(): void {
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  private throwIfFailed(): void {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what a job's follower caught, whatever it is
    if (this.failure !== undefined && !this.run.signal.aborted) throw this.failure;
  }

  /** A job still not finished at its deadline: its customers count as failed, and the jobs behind it go on. */
  private giveUp(job: SubmittedProfileJob): void {
    const reason = unfinishedJobReason('profile import job', job.jobId);
    this.run.logger.warn(
      { jobId: job.jobId, customers: job.customerIds.length },
      'Klaviyo did not finish a profile import job in time',
    );
    for (const id of job.customerIds) this.run.progress.failed(id, reason);
    if (job.customerIds.length === 0) this.run.progress.failed(job.jobId, reason);
  }

  private async settle(job: SubmittedProfileJob, total: number, cancelled: boolean): Promise<void> {
    const { progress, logger } = this.run;
    if (cancelled) {
      for (const id of job.customerIds) progress.failed(id, 'Klaviyo cancelled the import job');
      if (job.customerIds.length === 0)
        progress.failed(job.jobId, `Klaviyo cancelled the import job of ${total} profiles`);
      return;
    }
    const phoneRefused: string[] = [];
    const failed = new Set<string>();
    for await (const error of profileImportErrors(this.klaviyo, job.jobId, this.signal)) {
      const customerId = customerOf(error, job.customerIds);
      if (!customerId || failed.has(customerId)) continue;
      failed.add(customerId);
      if (!job.withoutPhone && isPhoneError(error)) phoneRefused.push(customerId);
      else
        progress.failed(
          customerId,
          `Klaviyo refused the profile: ${error.code} ${error.title}${error.pointer ? ` at ${error.pointer}` : ''}`,
        );
    }
    progress.succeeded(total - failed.size);
    if (phoneRefused.length > 0) {
      logger.info(
        { jobId: job.jobId, profiles: phoneRefused.length },
        'Sending profiles again without their phone number',
      );
      // Resends are followed without waiting for room: waiting here would hold up the job that makes it.
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
