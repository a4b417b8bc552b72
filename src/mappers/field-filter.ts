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
    // Own keys only, and defined rather than assigned: field names are data (custom field names
    // may be `toString` or `__proto__`) and must neither reach nor replace Object.prototype.
    const propertyName = Object.hasOwn(filter.rename, name) ? filter.rename[name] : name;
    Object.defineProperty(result, propertyName, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}
