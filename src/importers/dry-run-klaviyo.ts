import { AxiosError, type AxiosRequestConfig, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { KlaviyoTransport } from '../clients/klaviyo/klaviyo-client';
import { klaviyoOperationLimits, type KlaviyoOperation } from '../clients/klaviyo/operation-limits';
import type { DryRunReport, DryRunRequests } from '../engine/dry-run-report';
import type { RateLimit } from '../platform/rate-limiter';
import {
  eventProblems,
  profileProblems,
  repeatedUniqueIds,
  valueProblems,
  type RecordProblem,
} from '../mappers/klaviyo-record-checks';

/** Refusals a report lists; every one is counted. */
export const dryRunRefusalListLimit = 100;

type Json = Record<string, unknown>;

/** The records of a bulk request: where they sit in the body, and what each is checked as. */
interface RecordsInBody {
  pointer: string;
  records: unknown[];
  problems(records: unknown[], now: Date): RecordProblem[];
  /** The Klaviyo id of what a problem's pointer names, from the pointer's segments below `pointer`. */
  idOf(segments: string[]): string;
}

/**
 * Klaviyo for a dry run: answers every request the client makes without sending it, as Klaviyo
 * would answer a run into an empty account. A bulk request holding a record Klaviyo would refuse
 * is refused as Klaviyo does (400, a JSON pointer per bad record), so the importer sets those
 * records aside with the reason and sends the rest again, exactly as in a real run. Lookups find
 * nothing, and every job is complete when first asked about.
 */
export class DryRunKlaviyo implements KlaviyoTransport {
  private readonly requests = new Map<KlaviyoOperation, { requests: number; bytes: number }>();
  private readonly records: DryRunReport['records'] = {
    profiles: 0,
    events: 0,
    eventsPerMetric: {},
    catalogItems: 0,
    catalogVariants: 0,
    catalogCategories: 0,
  };
  private readonly refusals: DryRunReport['refusals'] = { count: 0, listLimit: dryRunRefusalListLimit, listed: [] };
  /** Records per job submitted and not yet asked about, by job id, for the job's status. */
  private readonly jobs = new Map<string, number>();
  private jobsSubmitted = 0;

  constructor(private readonly now: () => Date) {}

  answer(operation: KlaviyoOperation, config: AxiosRequestConfig): Promise<AxiosResponse> {
    const { body, bytes } = wireBody(config.data);
    const counted = this.requests.get(operation) ?? { requests: 0, bytes: 0 };
    counted.requests += 1;
    counted.bytes += bytes;
    this.requests.set(operation, counted);
    if ((config.method ?? 'GET').toUpperCase() !== 'POST')
      return Promise.resolve(reply(config, 200, this.read(config)));

    const inBody = recordsInBody(operation, body);
    const problems = inBody.problems(inBody.records, this.now());
    if (problems.length > 0) {
      this.refuse(operation, inBody, problems);
      return Promise.reject(refusal(config, problems));
    }
    this.take(operation, inBody.records);
    if (operation === 'bulk_create_events') return Promise.resolve(reply(config, 202, ''));
    const jobId = `dry-run-${++this.jobsSubmitted}`;
    this.jobs.set(jobId, inBody.records.length);
    return Promise.resolve(reply(config, 202, job(jobId, body, inBody.records.length, 'queued')));
  }

  report(): DryRunReport {
    const requests: Record<string, DryRunRequests> = {};
    let klaviyoSeconds = 0;
    for (const [operation, counted] of this.requests) {
      const seconds = secondsAtRateLimit(counted.requests, klaviyoOperationLimits[operation]);
      requests[operation] = { ...counted, seconds };
      klaviyoSeconds = Math.max(klaviyoSeconds, seconds);
    }
    return {
      records: { ...this.records, eventsPerMetric: { ...this.records.eventsPerMetric } },
      refusals: { ...this.refusals, listed: [...this.refusals.listed] },
      requests,
      klaviyoSeconds,
    };
  }

  /** A read: a job's status (complete), or an empty list (of lookups, or of a job's errors). */
  private read(config: AxiosRequestConfig): Json {
    const segments = new URL(config.url ?? '', 'http://klaviyo').pathname.split('/').map(decodeURIComponent);
    const jobId = segments.at(-1) ?? '';
    const records = this.jobs.get(jobId);
    if (records === undefined) return { data: [], links: {} };
    // A complete job is not asked about again.
    this.jobs.delete(jobId);
    return job(jobId, undefined, records, 'complete');
  }

  /** Lists each refused record once, with all its reasons. */
  private refuse(operation: KlaviyoOperation, inBody: RecordsInBody, problems: RecordProblem[]): void {
    const reasons = new Map<string, string[]>();
    for (const problem of problems) {
      const record = inBody.idOf(problem.pointer.slice(inBody.pointer.length + 1).split('/'));
      reasons.set(record, [...(reasons.get(record) ?? []), problem.reason]);
    }
    for (const [record, recordReasons] of reasons) {
      this.refusals.count += 1;
      if (this.refusals.listed.length < dryRunRefusalListLimit)
        this.refusals.listed.push({ operation, record, reason: recordReasons.join('; ') });
    }
  }

  /** Counts the records of an accepted request. */
  private take(operation: KlaviyoOperation, records: unknown[]): void {
    const counts = this.records;
    if (operation === 'bulk_import_profiles') counts.profiles += records.length;
    else if (operation === 'bulk_create_events') {
      for (const entry of records) {
        for (const event of arrayAt(entry, 'attributes', 'events', 'data')) {
          const metric = stringAt(event, 'attributes', 'metric', 'data', 'attributes', 'name') ?? '(no metric)';
          counts.events += 1;
          counts.eventsPerMetric[metric] = (counts.eventsPerMetric[metric] ?? 0) + 1;
        }
      }
    } else if (/^bulk_create_catalog_|^bulk_update_catalog_/.test(operation)) {
      if (operation.endsWith('_items')) counts.catalogItems += records.length;
      else if (operation.endsWith('_variants')) counts.catalogVariants += records.length;
      else counts.catalogCategories += records.length;
    }
  }
}

/**
 * The records of a bulk request's body by operation: the profiles of an import job, the
 * per-profile entries of a bulk event create, the records of a catalog job.
 */
function recordsInBody(operation: KlaviyoOperation, body: unknown): RecordsInBody {
  if (operation === 'bulk_import_profiles') {
    const records = arrayAt(body, 'data', 'attributes', 'profiles', 'data');
    return {
      pointer: '/data/attributes/profiles/data',
      records,
      problems: (records) =>
        records.flatMap((record, index) =>
          profileProblems(objectAt(record, 'attributes'), `/data/attributes/profiles/data/${index}/attributes`),
        ),
      idOf: ([index]) => {
        const record = records[Number(index)];
        return stringAt(record, 'attributes', 'external_id') ?? stringAt(record, 'id') ?? `profile ${index}`;
      },
    };
  }
  if (operation === 'bulk_create_events') {
    const pointer = '/data/attributes/events-bulk-create/data';
    const entries = arrayAt(body, 'data', 'attributes', 'events-bulk-create', 'data');
    return {
      pointer,
      records: entries,
      problems: (entries, now) => [
        ...entries.flatMap((entry, index) => [
          ...profileProblems(
            objectAt(entry, 'attributes', 'profile', 'data', 'attributes'),
            `${pointer}/${index}/attributes/profile/data/attributes`,
          ),
          ...arrayAt(entry, 'attributes', 'events', 'data').flatMap((event, eventIndex) =>
            eventProblems(
              objectAt(event, 'attributes'),
              `${pointer}/${index}/attributes/events/data/${eventIndex}/attributes`,
              now,
            ),
          ),
        ]),
        ...repeatedUniqueIds(entries, pointer),
      ],
      // An event is named by its unique_id (an order or line item id); a problem of the buyer
      // names every event of the buyer's entry.
      idOf: ([index, , kind, , eventIndex]) => {
        const events = arrayAt(entries[Number(index)], 'attributes', 'events', 'data');
        const named = kind === 'events' ? [events[Number(eventIndex)]] : events;
        return named.map((event) => stringAt(event, 'attributes', 'unique_id') ?? '(no unique_id)').join(',');
      },
    };
  }
  const key = Object.keys(objectAt(body, 'data', 'attributes'))[0] ?? 'records';
  const pointer = `/data/attributes/${key}/data`;
  const records = arrayAt(body, 'data', 'attributes', key, 'data');
  return {
    pointer,
    records,
    problems: (records) =>
      records.flatMap((record, index) =>
        valueProblems(objectAt(record, 'attributes'), `${pointer}/${index}/attributes`),
      ),
    idOf: ([index]) => stringAt(records[Number(index)], 'id') ?? `record ${index}`,
  };
}

/**
 * Seconds from an operation's first request to its last when Klaviyo's limits pace them: the
 * first `steadyPerMinute` go at the burst rate, each further minute lets as many more through.
 */
export function secondsAtRateLimit(requests: number, limit: RateLimit): number {
  if (requests <= 1) return 0;
  const last = requests - 1;
  const seconds = 60 * Math.floor(last / limit.steadyPerMinute) + (last % limit.steadyPerMinute) / limit.burstPerSecond;
  return Math.round(seconds * 10) / 10;
}

/**
 * A request body and its size as it goes over the wire: the SDK hands over the serialized model,
 * which axios turns into JSON; a body serialized beforehand (text or bytes) goes as it is.
 */
function wireBody(data: unknown): { body: unknown; bytes: number } {
  if (data === undefined || data === null) return { body: undefined, bytes: 0 };
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    const text = data.toString();
    return { body: text ? (JSON.parse(text) as unknown) : undefined, bytes: Buffer.byteLength(data) };
  }
  return { body: data, bytes: Buffer.byteLength(JSON.stringify(data)) };
}

/** A bulk job as Klaviyo describes it. */
function job(id: string, body: unknown, records: number, status: 'queued' | 'complete'): Json {
  const complete = status === 'complete';
  return {
    data: {
      type: stringAt(body, 'data', 'type') ?? 'bulk-job',
      id,
      attributes: {
        status,
        total_count: records,
        completed_count: complete ? records : 0,
        failed_count: 0,
        errors: [],
      },
    },
  };
}

function reply(config: AxiosRequestConfig, status: number, data: unknown): AxiosResponse {
  return { data, status, statusText: String(status), headers: {}, config: config as InternalAxiosRequestConfig };
}

/** Klaviyo's answer to a request with bad records: 400, each error pointing at the bad part. */
function refusal(config: AxiosRequestConfig, problems: RecordProblem[]): AxiosError {
  const errors = problems.map((problem) => ({
    status: 400,
    code: 'invalid',
    title: 'Invalid input.',
    detail: problem.reason,
    source: { pointer: problem.pointer },
  }));
  const response = reply(config, 400, { errors });
  return new AxiosError(
    'Request failed with status code 400',
    AxiosError.ERR_BAD_REQUEST,
    response.config,
    undefined,
    response,
  );
}

function objectAt(value: unknown, ...path: string[]): Json {
  let current = value;
  for (const key of path)
    current = current !== null && typeof current === 'object' ? (current as Json)[key] : undefined;
  return current !== null && typeof current === 'object' && !Array.isArray(current) ? (current as Json) : {};
}

function arrayAt(value: unknown, ...path: string[]): unknown[] {
  const last = objectAt(value, ...path.slice(0, -1))[path[path.length - 1]];
  return Array.isArray(last) ? (last as unknown[]) : [];
}

function stringAt(value: unknown, ...path: string[]): string | undefined {
  const last = objectAt(value, ...path.slice(0, -1))[path[path.length - 1]];
  return typeof last === 'string' ? last : undefined;
}
