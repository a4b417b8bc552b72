import { randomUUID } from 'node:crypto';
import type { HandlerResult } from './context';
import type { JsonApiError } from './errors';
import type { BulkJobKind } from './state';
import type { ResourceObject } from './wire';

/**
 * The "refuse chosen records" fault: a bulk request holding a record (a profile of an import job,
 * an event of a bulk create job, a catalog record) whose JSON contains one of `chosen` is answered
 * the way Klaviyo answers invalid input: 400, one error per offending record, each with a
 * `source.pointer` to the value that holds the string, and nothing of the request applied.
 * Returns undefined when nothing in the request is chosen.
 */
export function refuseChosenRecords(
  kind: BulkJobKind,
  body: unknown,
  chosen: readonly string[],
): HandlerResult | undefined {
  if (chosen.length === 0) return undefined;
  const errors: JsonApiError[] = [];
  kind.recordsOf(body).forEach((record, index) => {
    for (const { value, pointer } of refusableParts(record, `${kind.recordsPointer}/${index}`)) {
      const found = pointerToChosen(value, pointer, chosen);
      if (found) errors.push(invalidValue(found));
    }
  });
  return errors.length > 0 ? { status: 400, body: { errors } } : undefined;
}

/**
 * An event bulk create entry carries one profile and several events: each event is refused on its
 * own, and a chosen profile refuses the entry. Any other record is one part.
 */
function refusableParts(record: unknown, pointer: string): Array<{ value: unknown; pointer: string }> {
  const attributes = (record as ResourceObject | undefined)?.attributes;
  const events = (attributes?.events as { data?: unknown[] } | undefined)?.data;
  if (!attributes || !Array.isArray(events)) return [{ value: record, pointer }];
  return [
    { value: attributes.profile, pointer: `${pointer}/attributes/profile` },
    ...events.map((event, index) => ({ value: event, pointer: `${pointer}/attributes/events/data/${index}` })),
  ];
}

/** The pointer of the first string value under `value` that contains a chosen string. */
function pointerToChosen(value: unknown, pointer: string, chosen: readonly string[]): string | undefined {
  if (typeof value === 'string') return chosen.some((text) => value.includes(text)) ? pointer : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = pointerToChosen(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, chosen);
    if (found) return found;
  }
  return undefined;
}

function invalidValue(pointer: string): JsonApiError {
  const field = pointer.slice(pointer.lastIndexOf('/') + 1);
  return {
    id: randomUUID(),
    status: 400,
    code: 'invalid',
    title: 'Invalid input.',
    detail: `'${field}' is not a valid value.`,
    source: { pointer },
  };
}
