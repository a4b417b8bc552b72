import { invalid } from './errors';
import { matchesFilter, type FilterCondition } from './filter';
import type { SpecOperation } from './spec';
import type { BulkJob, BulkJobKind, EmulatorState } from './state';
import type { RequestDocument } from './wire';

export interface RequestContext {
  params: Record<string, string>;
  /** Query parameters typed as the spec declares them. */
  query: Record<string, unknown>;
  filter: FilterCondition[];
  /** The request body, checked against the spec; only handlers of operations that take a body read it. */
  body: RequestDocument;
  url: URL;
  baseUrl: string;
  state: EmulatorState;
  jobs: JobQueue;
  /** Undefined when the emulator runs without the spec. */
  operation?: SpecOperation;
  /** Bulk records whose JSON contains one of these strings are refused (see refuse-records.ts). */
  refuseRecords: readonly string[];
}

/** Where bulk operations put their jobs (the emulator's JobRunner). */
export interface JobQueue {
  submit(kind: BulkJobKind, body: unknown, maxInProgress: number | undefined): BulkJob;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
}

/** One emulated operation, addressed like the spec does: method and path template. */
export interface OperationHandler {
  method: string;
  path: string;
  handle(context: RequestContext): HandlerResult;
  /** For bulk operations: how many records the body carries (checked against "Accepts up to N"). */
  countRecords?(body: unknown): number;
}

export interface Resource {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  relationships?: Record<string, unknown>;
  links: { self: string };
  meta?: Record<string, unknown>;
}

export function resource(
  baseUrl: string,
  collection: string,
  type: string,
  id: string,
  attributes: Record<string, unknown>,
  relationships?: Record<string, unknown>,
): Resource {
  return {
    type,
    id,
    attributes,
    ...(relationships ? { relationships } : {}),
    links: { self: `${baseUrl}/api/${collection}/${encodeURIComponent(id)}/` },
  };
}

interface ListOptions<R> {
  fieldOf(record: R, field: string): unknown;
  serialize(record: R): Resource;
  defaultPageSize: number;
}

/**
 * Filter, `sort`, then cursor paging (`page[cursor]`, `page[size]`) with `links.next` as a full
 * URL like Klaviyo's. Returns the records of the page too, for `included`.
 */
export function listCollection<R>(context: RequestContext, records: Iterable<R>, options: ListOptions<R>) {
  let matching = [...records].filter((record) =>
    matchesFilter(context.filter, (field) => options.fieldOf(record, field)),
  );
  const sort = context.query.sort as string | undefined;
  if (sort) {
    const field = sort.replace(/^-/, '');
    const direction = sort.startsWith('-') ? -1 : 1;
    matching = matching.sort((a, b) => direction * compareValues(options.fieldOf(a, field), options.fieldOf(b, field)));
  }
  const pageSize = (context.query['page[size]'] as number | undefined) ?? options.defaultPageSize;
  const offset = decodeCursor(context.query['page[cursor]'] as string | undefined);
  const page = matching.slice(offset, offset + pageSize);
  const links: Record<string, string> = { self: context.url.toString() };
  if (offset + pageSize < matching.length) {
    const next = new URL(context.url);
    next.searchParams.set('page[cursor]', Buffer.from(String(offset + pageSize)).toString('base64url'));
    links.next = next.toString();
  }
  if (offset > 0) {
    const previous = new URL(context.url);
    previous.searchParams.set(
      'page[cursor]',
      Buffer.from(String(Math.max(0, offset - pageSize))).toString('base64url'),
    );
    links.prev = previous.toString();
  }
  return { page, data: page.map((record) => options.serialize(record)), links };
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const offset = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid page cursor.', { parameter: 'page[cursor]' });
  return offset;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  return (a as string | number) < (b as string | number) ? -1 : 1;
}
