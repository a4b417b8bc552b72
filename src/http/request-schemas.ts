import { z } from 'zod';
import type { ImportType, RunRequest } from '../engine/run-types';

/** commercetools ids go into query predicates, so quotes and backslashes are refused. */
const recordId = z
  .string()
  .min(1, 'must not be empty')
  .max(256)
  .regex(/^[^"\\]+$/, 'must not contain quotes or backslashes');
const ids = z.array(recordId).min(1, 'must list at least one id').max(10_000, 'takes at most 10,000 ids per request');
const resume = z.literal(true, { error: 'must be true to resume the last stopped or interrupted run' });
/** A run id, or `last`; it becomes a custom object key, whose characters commercetools restricts. */
const runName = z.string().regex(/^[-_~.a-zA-Z0-9]{1,256}$/, 'must be a run id or "last"');
const retry = {
  retryFailed: z.literal(true, { error: 'must be true to import again the records a run failed' }).optional(),
  run: runName.optional(),
};

/**
 * An ISO 8601 time with its offset (`2026-05-01T00:00:00Z`, `2026-05-01T02:00:00+02:00`) or a date
 * (`2026-05-01`, midnight UTC), normalised to UTC with milliseconds, the form in which
 * commercetools writes its timestamps.
 */
const isoTime = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be an ISO 8601 time with offset, such as "2026-05-01T00:00:00Z", or a date, such as "2026-05-01"',
  })
  .transform((text) => new Date(text).toISOString());
const since = z.union([z.literal('lastRun'), isoTime], {
  error: 'must be "lastRun" or an ISO 8601 time with offset, such as "2026-05-01T00:00:00Z"',
});
/** Every type can be imported incrementally; orders and customers also by creation window. */
const sinceField = { since: since.optional() };
const windowFields = { createdFrom: isoTime.optional(), createdTo: isoTime.optional() };

const customersBody = z.strictObject({
  ids: ids.optional(),
  resume: resume.optional(),
  ...sinceField,
  ...windowFields,
  ...retry,
});
const ordersBody = z.strictObject({
  ids: ids.optional(),
  startId: recordId.optional(),
  resume: resume.optional(),
  ...sinceField,
  ...windowFields,
  ...retry,
});
const catalogBody = z.strictObject({
  ...sinceField,
  ...retry,
  deleteAll: z.boolean().optional(),
  confirmDeletion: z.string().optional(),
  // A misspelling found in the module's documentation, accepted as well.
  confirmDeletetion: z.string().optional(),
  resume: resume.optional(),
});

/** A request whose body or query parameters the API does not take; each problem names its field. */
export class InvalidRequest extends Error {
  constructor(readonly problems: Array<{ field: string; message: string }>) {
    super(problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
  }
}

/**
 * Checks a start request's body. Unknown fields are refused: a typo such as `"id"` would otherwise
 * start a full import.
 */
export function parseStartRequest(type: ImportType, body: unknown): RunRequest {
  const input = body ?? {};
  switch (type) {
    case 'customers': {
      const parsed = parse(customersBody, input);
      const partial: RunRequest | undefined = parsed.ids ? { mode: 'ids', ids: parsed.ids } : undefined;
      return retried(parsed, exclusive(parsed.resume, bounded(parsed, partial)));
    }
    case 'orders': {
      const parsed = parse(ordersBody, input);
      if (parsed.ids && parsed.startId) {
        throw new InvalidRequest([{ field: 'startId', message: 'cannot be combined with ids' }]);
      }
      const partial: RunRequest | undefined = parsed.ids
        ? { mode: 'ids', ids: parsed.ids }
        : parsed.startId
          ? { mode: 'startId', startId: parsed.startId }
          : undefined;
      return retried(parsed, exclusive(parsed.resume, bounded(parsed, partial)));
    }
    case 'categories':
    case 'products': {
      const parsed = parse(catalogBody, input);
      const confirmation = parsed.confirmDeletion ?? parsed.confirmDeletetion;
      if (!parsed.deleteAll) {
        if (confirmation !== undefined) {
          throw new InvalidRequest([{ field: 'confirmDeletion', message: 'only goes with "deleteAll": true' }]);
        }
        return retried(parsed, exclusive(parsed.resume, bounded(parsed, undefined)));
      }
      if (parsed.since !== undefined) {
        throw new InvalidRequest([{ field: 'since', message: 'cannot be combined with deleteAll' }]);
      }
      if (confirmation !== type) {
        throw new InvalidRequest([
          {
            field: 'confirmDeletion',
            message: `must be "${type}" to delete all ${type} from the Klaviyo catalog. This deletes every ${type === 'products' ? 'catalog item and its variants' : 'catalog category'}, whatever created them, not only those this tool imported.`,
          },
        ]);
      }
      return retried(parsed, exclusive(parsed.resume, { mode: 'deleteAll' }));
    }
  }
}

/**
 * The `since` or window request the body asks for, refused beside another mode (`partial`) or each
 * other: a list of ids or a start id is already exact, and a window of an incremental run would
 * leave out records changed outside it.
 */
function bounded(
  fields: { since?: string; createdFrom?: string; createdTo?: string },
  partial: RunRequest | undefined,
): RunRequest | undefined {
  const { since: sinceBound, createdFrom, createdTo } = fields;
  const windowField = createdFrom !== undefined ? 'createdFrom' : createdTo !== undefined ? 'createdTo' : undefined;
  if (sinceBound === undefined && windowField === undefined) return partial;
  const field = sinceBound !== undefined ? 'since' : windowField!;
  if (partial) throw new InvalidRequest([{ field, message: `cannot be combined with ${partial.mode}` }]);
  if (sinceBound !== undefined) {
    if (windowField) throw new InvalidRequest([{ field: windowField, message: 'cannot be combined with since' }]);
    return { mode: 'since', since: sinceBound };
  }
  if (createdFrom !== undefined && createdTo !== undefined && createdFrom >= createdTo) {
    throw new InvalidRequest([{ field: 'createdTo', message: `must be later than createdFrom (${createdFrom})` }]);
  }
  return {
    mode: 'window',
    ...(createdFrom !== undefined ? { createdFrom } : {}),
    ...(createdTo !== undefined ? { createdTo } : {}),
  };
}

/** A start request once checked: the run it asks for, and whether only as a dry run. */
export interface StartRequest {
  run: RunRequest;
  dryRun: boolean;
}

/**
 * Checks a start request's body, `dryRun` included: a dry run reads and maps whatever the other
 * fields ask for, so it goes with any of them but resume and deleteAll, which have nothing to read.
 */
export function parseStart(type: ImportType, body: unknown): StartRequest {
  const input = body ?? {};
  let rest = input;
  let dryRun = false;
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'dryRun' in input) {
    const { dryRun: flag, ...others } = input as Record<string, unknown>;
    if (typeof flag !== 'boolean') throw new InvalidRequest([{ field: 'dryRun', message: 'must be true or false' }]);
    dryRun = flag;
    rest = others;
  }
  const run = parseStartRequest(type, rest);
  if (dryRun && (run.mode === 'resume' || run.mode === 'deleteAll')) {
    const field = run.mode === 'resume' ? 'resume' : 'deleteAll';
    throw new InvalidRequest([{ field, message: 'cannot be combined with dryRun' }]);
  }
  return { run, dryRun };
}

function exclusive(resumeFlag: true | undefined, partial: RunRequest | undefined): RunRequest {
  if (resumeFlag && partial)
    throw new InvalidRequest([{ field: 'resume', message: `cannot be combined with ${partial.mode}` }]);
  if (resumeFlag) return { mode: 'resume' };
  return partial ?? { mode: 'all' };
}

/** The `run` query parameter of `GET /sync/<type>/failures`: the latest run when absent. */
export function parseRunName(run: unknown): string {
  if (run === undefined) return 'last';
  const parsed = runName.safeParse(run);
  if (parsed.success) return parsed.data;
  throw new InvalidRequest([{ field: 'run', message: 'must be a run id or "last"' }]);
}

/** `retryFailed` (of the run `run` names, the last by default) stands alone: it says which records to read. */
function retried(flags: { retryFailed?: true; run?: string }, request: RunRequest): RunRequest {
  if (!flags.retryFailed) {
    if (flags.run !== undefined)
      throw new InvalidRequest([{ field: 'run', message: 'only goes with "retryFailed": true' }]);
    return request;
  }
  if (request.mode !== 'all')
    throw new InvalidRequest([{ field: 'retryFailed', message: `cannot be combined with ${request.mode}` }]);
  return { mode: 'retryFailed', run: flags.run ?? 'last' };
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequest([{ field: '(body)', message: 'must be a JSON object' }]);
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidRequest(
    parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: key, message: 'is not a known field' }))
        : [{ field: issue.path.join('.') || '(body)', message: issue.message }],
    ),
  );
}
