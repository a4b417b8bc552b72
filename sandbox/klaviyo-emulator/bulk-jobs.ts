import { randomUUID } from 'node:crypto';
import { resource, listCollection, type OperationHandler, type Resource } from './context';
import { ApiError, notFound, RecordError } from './errors';
import { refuseChosenRecords } from './refuse-records';
import { newId, type BulkJob, type BulkJobKind, type EmulatorState } from './state';

const JOB_RETENTION_MS = 7 * 24 * 3_600_000;

/** Runs jobs on timers: queued, processing after half of `processingMs`, complete after all of it. */
export class JobRunner {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly state: EmulatorState,
    public processingMs: number,
  ) {}

  submit(kind: BulkJobKind, body: unknown, maxInProgress: number | undefined): BulkJob {
    if (maxInProgress !== undefined && this.inProgressCount() >= maxInProgress) {
      const retryAfter = String(Math.max(1, Math.ceil(this.processingMs / 1000)));
      throw new ApiError(
        429,
        'throttled',
        'Request was throttled.',
        `The maximum number of jobs in progress at one time is ${maxInProgress}.`,
        {
          headers: { 'Retry-After': retryAfter },
        },
      );
    }
    const records = kind.recordsOf(body);
    const now = new Date();
    const job: BulkJob = {
      id: newId(now.getTime()),
      kind,
      status: 'queued',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + JOB_RETENTION_MS).toISOString(),
      totalCount: records.length,
      completedCount: 0,
      failedCount: 0,
      errors: [],
      countsTowardInProgressCap: maxInProgress !== undefined,
    };
    this.state.jobs.set(job.id, job);
    this.after(this.processingMs / 2, () => {
      // On a busy event loop the two timers can fire in either order; never undo a completion.
      if (job.status !== 'queued') return;
      job.status = 'processing';
      job.startedAt = new Date().toISOString();
    });
    this.after(this.processingMs, () => this.complete(job, records));
    return job;
  }

  /** Forget pending work (reset, close). */
  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private complete(job: BulkJob, records: unknown[]): void {
    const now = new Date();
    records.forEach((record, index) => {
      try {
        job.kind.apply(record, this.state, now);
        job.completedCount++;
      } catch (error) {
        if (!(error instanceof RecordError)) throw error;
        job.failedCount++;
        job.errors.push({
          id: randomUUID(),
          code: error.code,
          title: error.title,
          detail: error.message,
          source: { pointer: `${job.kind.recordsPointer}/${index}${error.pointer}` },
          original_payload: record,
        });
      }
    });
    job.startedAt ??= now.toISOString();
    job.status = 'complete';
    job.completedAt = now.toISOString();
  }

  private inProgressCount(): number {
    let count = 0;
    for (const job of this.state.jobs.values()) {
      if (job.countsTowardInProgressCap && (job.status === 'queued' || job.status === 'processing')) count++;
    }
    return count;
  }

  private after(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }
}

export function serializeJob(job: BulkJob, baseUrl: string): Resource {
  const attributes: Record<string, unknown> = {
    status: job.status,
    created_at: job.createdAt,
    total_count: job.totalCount,
    completed_count: job.completedCount,
    failed_count: job.failedCount,
    completed_at: job.completedAt ?? null,
    expires_at: job.expiresAt,
  };
  let relationships: Record<string, unknown> | undefined;
  if (job.kind.errorReport === 'inline') {
    attributes.errors = job.errors.map(({ original_payload: _payload, ...error }) => error);
  } else if (job.kind.errorReport === 'import-errors') {
    attributes.started_at = job.startedAt ?? null;
    relationships = {
      'import-errors': { links: { related: `${baseUrl}/api/${job.kind.collection}/${job.id}/import-errors/` } },
    };
  }
  return resource(baseUrl, job.kind.collection, job.kind.type, job.id, attributes, relationships);
}

/** Looks a job up by id within its kind, as the status endpoints do. */
export function findJob(state: EmulatorState, kind: BulkJobKind, id: string): BulkJob {
  const job = state.jobs.get(id);
  if (!job || job.kind !== kind) throw notFound(`A ${kind.type} with id ${id} does not exist.`);
  return job;
}

/** POST creates the job (202); kinds with a status endpoint also get GET one and GET list. */
export function bulkJobHandlers(kind: BulkJobKind): OperationHandler[] {
  const create: OperationHandler = {
    method: 'POST',
    path: `/api/${kind.collection}`,
    countRecords: (body) => kind.countRecords?.(body) ?? kind.recordsOf(body).length,
    handle: (context) => {
      const refusal = refuseChosenRecords(kind, context.body, context.refuseRecords);
      if (refusal) return refusal;
      kind.checkRequest?.(context.body);
      const job = context.jobs.submit(kind, context.body, context.operation?.maxJobsInProgress);
      // Klaviyo answers the event bulk create job with an empty 202.
      return {
        status: 202,
        body: kind.errorReport === 'none' ? undefined : { data: serializeJob(job, context.baseUrl) },
      };
    },
  };
  if (kind.errorReport === 'none') return [create];
  return [
    create,
    {
      method: 'GET',
      path: `/api/${kind.collection}/{job_id}`,
      handle: (context) => ({
        status: 200,
        body: { data: serializeJob(findJob(context.state, kind, context.params.job_id), context.baseUrl) },
      }),
    },
    {
      method: 'GET',
      path: `/api/${kind.collection}`,
      handle: (context) => {
        const jobs = [...context.state.jobs.values()].filter((job) => job.kind === kind);
        const { data, links } = listCollection(context, jobs, {
          fieldOf: (job, field) => (field === 'status' ? job.status : undefined),
          serialize: (job) => serializeJob(job, context.baseUrl),
          defaultPageSize: 100,
        });
        return { status: 200, body: { data, links } };
      },
    },
  ];
}
