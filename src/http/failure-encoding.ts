import type { FailureEntry } from '../engine/run-types';

/** How `GET /sync/<type>/failures` writes its entries: JSON lines, or CSV with a header row. */
export type FailureFormat = 'jsonl' | 'csv';

export const failureContentTypes: Record<FailureFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const columns = ['id', 'kind', 'reason', 'code', 'pointer'] as const;

/** What comes before the first entry: CSV's header row. */
export function failuresPreamble(format: FailureFormat): string {
  return format === 'csv' ? csvRow(columns) : '';
}

/** One entry as a line of the format, its line end included. */
export function encodeFailure(entry: FailureEntry, format: FailureFormat): string {
  if (format === 'csv') return csvRow(columns.map((column) => entry[column] ?? ''));
  return `${JSON.stringify({ id: entry.id, kind: entry.kind, reason: entry.reason, code: entry.code, pointer: entry.pointer })}\n`;
}

/** RFC 4180: a field holding a quote, comma or line break is quoted, its quotes doubled; rows end in CRLF. */
function csvRow(fields: readonly string[]): string {
  return `${fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field)).join(',')}\r\n`;
}
