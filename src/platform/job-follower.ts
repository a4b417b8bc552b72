import type { InFlightGauge } from './metrics';
import { sleep } from './retry';

export interface JobFollowerOptions {
  /** Wait before asking again about a job that is not finished; doubles up to `maxPollMs`. */
  firstPollMs: number;
  maxPollMs: number;
  /** From the start of following: a job not finished by then is given up. */
  timeoutMs: number;
  /** Counts the jobs being followed. */
  inFlight?: InFlightGauge;
}

interface FollowedJob<S> {
  jobId: string;
  deadline: number;
  signal?: AbortSignal;
  /** Undefined: not finished by the deadline. */
  resolve(status: S | undefined): void;
  reject(error: unknown): void;
}

/**
 * Follows Klaviyo bulk jobs of one kind to the end, asking about the oldest first, one request at
 * a time. Jobs finish about in the order they were submitted, so this costs about one status
 * request per job; polling every job on its own would spend the status operation's rate limit
 * several times over. A job asked about again waits 'firstPollMs', doubling up to 'maxPollMs'.
 */
export class JobFollower<S> {
  private readonly queue: FollowedJob<S>[] = [];
  private loop?: Promise<void>;

  constructor(
    private readonly status: (jobId: string, signal?: AbortSignal) => Promise<S>,
    private readonly isFinished: (status: S) => boolean,
    private readonly options: JobFollowerOptions,
  ) {}

  /**
   * The job's final status, or undefined when it is still not finished at its deadline. Rejects
   * with the status request's error, or the signal's reason once it is aborted.
   */
  follow(jobId: string, signal?: AbortSignal): Promise<S | undefined> {
    const deadline = Date.now() + this.options.timeoutMs;
    const { inFlight } = this.options;
    inFlight?.inc();
    return new Promise<S | undefined>((resolve, reject) => {
      const done =
        <T>(settle: (value: T) => void) =>
        (value: T) => {
          inFlight?.dec();
          settle(value);
        };
      this.queue.push({ jobId, deadline, signal, resolve: done(resolve), reject: done(reject) });
      this.loop ??= this.followAll().finally(() => (this.loop = undefined));
    });
  }

  private async followAll(): Promise<void> {
    let waitMs = this.options.firstPollMs;
    while (this.queue.length > 0) {
      const job = this.queue[0];
      if (job.signal?.aborted) {
        this.queue.shift();
        job.reject(job.signal.reason);
        continue;
      }
      let status: S;
      try {
        status = await this.status(job.jobId, job.signal);
      } catch (error) {
        this.queue.shift();
        job.reject(error);
        continue;
      }
      if (this.isFinished(status)) {
        this.queue.shift();
        job.resolve(status);
        waitMs = this.options.firstPollMs;
        continue;
      }
      if (Date.now() >= job.deadline) {
        this.queue.shift();
        job.resolve(undefined);
        continue;
      }
      await sleep(waitMs, job.signal).catch(() => undefined);
      waitMs = Math.min(waitMs * 2, this.options.maxPollMs);
    }
  }
}
