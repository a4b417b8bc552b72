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

const customersBody = z.strictObject({ ids: ids.optional(), resume: resume.optional(), ...retry });
const ordersBody = z.strictObject({
  ids: ids.optional(),
  startId: recordId.optional(),
  resume: resume.optional(),
  ...retry,
});
const catalogBody = z.strictObject({
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
      return retried(parsed, exclusive(parsed.resume, parsed.ids ? { mode: 'ids', ids: parsed.ids } : undefined));
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
      return retried(parsed, exclusive(parsed.resume, partial));
    }
    case 'categories':
    case 'products': {
      const parsed = parse(catalogBody, input);
      const confirmation = parsed.confirmDeletion ?? parsed.confirmDeletetion;
      if (!parsed.deleteAll) {
        if (confirmation !== undefined) {
          throw new InvalidRequest([{ field: 'confirmDeletion', message: 'only goes with "deleteAll": true' }]);
        }
        return retried(parsed, exclusive(parsed.resume, undefined));
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
