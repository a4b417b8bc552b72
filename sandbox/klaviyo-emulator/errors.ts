import { randomUUID } from 'node:crypto';
import type { RequestDocument } from './wire';

/** One entry of Klaviyo's JSON:API `errors` array. */
export interface JsonApiError {
  id: string;
  status: number;
  code: string;
  title: string;
  detail: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

/** Thrown by the request pipeline and handlers; turned into Klaviyo's error answer. */
export class ApiError extends Error {
  readonly error: JsonApiError;

  constructor(
    readonly status: number,
    code: string,
    title: string,
    detail: string,
    options: { source?: JsonApiError['source']; meta?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.error = { id: randomUUID(), status, code, title, detail };
    if (options.source) this.error.source = options.source;
    if (options.meta) this.error.meta = options.meta;
    this.headers = options.headers ?? {};
  }

  readonly headers: Record<string, string>;
}

export function invalid(detail: string, source: JsonApiError['source']): ApiError {
  return new ApiError(400, 'invalid', 'Invalid input.', detail, { source });
}

export function notFound(detail: string): ApiError {
  return new ApiError(404, 'not_found', 'Not found.', detail);
}

/**
 * A failure of one record inside a bulk job (or of the record a single-record call sends).
 * `pointer` is relative to the record (e.g. `/attributes/phone_number`); `status` is what the
 * single-record endpoint answers for it.
 */
export class RecordError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly pointer = '',
    readonly meta?: Record<string, unknown>,
  ) {
    super(detail);
  }

  /** The same failure seen from an enclosing record (e.g. the profile inside an event). */
  under(prefix: string): RecordError {
    return new RecordError(this.status, this.code, this.title, this.message, `${prefix}${this.pointer}`, this.meta);
  }

  /** The answer of a single-record endpoint whose record lives at `/data`. */
  toApiError(): ApiError {
    return new ApiError(this.status, this.code, this.title, this.message, {
      source: { pointer: `/data${this.pointer}` },
      meta: this.meta,
    });
  }
}

/** Runs a single-record change; a RecordError becomes that endpoint's error answer. */
export function asSingleRecord<T>(change: () => T): T {
  try {
    return change();
  } catch (error) {
    throw error instanceof RecordError ? error.toApiError() : error;
  }
}

/** PATCH bodies repeat the id of the path; Klaviyo refuses a mismatch. */
export function requireBodyIdMatchesPath(body: RequestDocument | undefined, pathId: string): void {
  if (body?.data?.id !== pathId)
    throw invalid(`The id in the body (${String(body?.data?.id)}) does not match the id in the path (${pathId}).`, {
      pointer: '/data/id',
    });
}
