import { parseArgs } from 'node:util';
import { dependencyOrder } from '../engine/run-sequence';
import { importTypes, type ImportType, type RunRequest } from '../engine/run-types';
import { InvalidRequest, parseStartRequest } from '../http/request-schemas';

export const usage = `Usage: ct-klaviyo-bulk-import import <customers|orders|categories|products|all> [options]

Runs imports in this process, with the lock and checkpoints the HTTP service uses, and exits
once they have ended. "all" runs categories, products, customers and orders, in that order, and
stops at the first that does not complete.

Options:
  --since <lastRun|ISO time>  only records changed since the last completed run, or since that time
  --created-from <ISO time>   orders or customers created at or after that time
  --created-to <ISO time>     orders or customers created before that time
  --ids <id,id,...>           only these customers or orders (repeatable)
  --resume                    continue the last run of each import that did not complete, from its
                              checkpoint (imports whose last run completed are left out)
  -h, --help                  show this text

Exit status: 0 when every import completed; 1 when one did not (the reason is the last line on
stderr); 2 for arguments it does not take.`;

/** Arguments the CLI does not take; the message says which and why. */
export class UsageError extends Error {}

export type CliCommand =
  { help: true } | { help: false; types: readonly ImportType[]; requests: Record<ImportType, RunRequest> };

/**
 * Reads the command line. Each option becomes the field of a start request's body that the HTTP
 * API takes (`--created-from` is `createdFrom`), and the body is checked for each type by the same
 * validation as POST /sync/<type>, so the CLI takes exactly what the API takes.
 */
export function parseCliArguments(args: string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        since: { type: 'string' },
        'created-from': { type: 'string' },
        'created-to': { type: 'string' },
        ids: { type: 'string', multiple: true },
        resume: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const [command, target, ...rest] = positionals;
  if (command !== 'import') throw new UsageError(command ? `Unknown command "${command}".` : 'No command given.');
  if (!target) throw new UsageError('Name the import: customers, orders, categories, products or all.');
  if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}".`);
  const types = target === 'all' ? dependencyOrder : [importTypeOf(target)];

  const body: Record<string, unknown> = {};
  if (values.since !== undefined) body.since = values.since;
  if (values['created-from'] !== undefined) body.createdFrom = values['created-from'];
  if (values['created-to'] !== undefined) body.createdTo = values['created-to'];
  if (values.ids !== undefined) body.ids = values.ids.flatMap((list) => list.split(',')).map((id) => id.trim());
  if (values.resume) body.resume = true;

  const requests = {} as Record<ImportType, RunRequest>;
  for (const type of types) {
    try {
      requests[type] = parseStartRequest(type, body);
    } catch (error) {
      if (!(error instanceof InvalidRequest)) throw error;
      const problems = error.problems.map(({ field, message }) => `${optionName(field)} ${message}`).join('; ');
      throw new UsageError(`The ${type} import does not take these options: ${problems}.`);
    }
  }
  return { help: false, types, requests };
}

function importTypeOf(name: string): ImportType {
  if ((importTypes as readonly string[]).includes(name)) return name as ImportType;
  throw new UsageError(`Unknown import "${name}"; use customers, orders, categories, products or all.`);
}

/** The option a body field came from, so a problem names what the user typed. */
function optionName(field: string): string {
  const option = field.replace(/\..*$/, '').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  return `--${option}`;
}
