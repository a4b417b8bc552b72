import type { FieldFilter } from '../config/mapping-settings';

/**
 * Applies an include/exclude/rename filter to the top-level fields of a record.
 * Fields whose value is undefined are left out, so the result serialises the same way every time.
 */
export function applyFieldFilter(
  fields: Record<string, unknown> | undefined,
  filter: FieldFilter,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  if (!fields) return result;
  const include = filter.include.length > 0 ? new Set(filter.include) : undefined;
  const exclude = new Set(filter.exclude);
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (include && !include.has(name)) continue;
    if (exclude.has(name)) continue;
    result[filter.rename[name] ?? name] = value;
  }
  return result;
}
