import { PlatformError, type RefusalProblem } from '../platform/platform-error';

/** A record Klaviyo refused, with its reason. */
export interface RefusedRecord<T> {
  record: T;
  reason: string;
}

/** Records Klaviyo accepted in one request, with what the request answered (a job id, say). */
export interface AcceptedPart<T, R> {
  records: T[];
  result: R;
}

export interface SplitOutcome<T, R> {
  accepted: AcceptedPart<T, R>[];
  refused: RefusedRecord<T>[];
}

export interface SplitOptions<T> {
  /**
   * The positions, in `records` as they were sent, of the records a refusal's JSON pointer names;
   * empty when it names none (the envelope, or a part the caller cannot place).
   */
  recordIndexesOfPointer(pointer: string, records: T[]): number[];
  /** Starts a refusal reason: "Klaviyo refused the profile". */
  refusedWhat: string;
}

/**
 * Requests enough to find two records no refusal names by halving (about 2 log2 n each), so one
 * or two bad records never cost the others, while a refusal of everything (every record bad, or a
 * request Klaviyo refuses whatever it holds) ends after a bounded number of requests instead of
 * one per record.
 */
export function requestBudget(recordCount: number): number {
  return 1 + 4 * Math.ceil(Math.log2(Math.max(recordCount, 1)));
}

/**
 * Sends `records` in one request; when Klaviyo refuses its content (kind `refusal`), the records
 * its errors point at are set aside, each with Klaviyo's code and detail, and the rest are sent
 * again. A refusal that names no record is bisected: each half is sent on its own, down to the
 * single record, which is then refused with the request's reason. So a bad record fails alone and
 * every other record is sent. Once `requestBudget(records.length)` requests were sent, the
 * records not sent yet fail with the last refusal. Any other error (retries exhausted, fatal, a
 * stop) is thrown.
 */
export async function sendSplittingRefusals<T, R>(
  records: T[],
  send: (records: T[]) => Promise<R>,
  options: SplitOptions<T>,
): Promise<SplitOutcome<T, R>> {
  const outcome: SplitOutcome<T, R> = { accepted: [], refused: [] };
  const maxRequests = requestBudget(records.length);
  let requests = 0;
  let lastRefusal: RefusalProblem | undefined;
  // Parts still to send; each pass either accepts a part, removes at least one record, or halves it.
  const parts: T[][] = records.length > 0 ? [records] : [];
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (requests === maxRequests && lastRefusal) {
      const reason = `not sent: Klaviyo refused ${requests} requests of its batch, the last for ${problemText(lastRefusal)}`;
      for (const record of part) outcome.refused.push({ record, reason });
      continue;
    }
    requests++;
    try {
      outcome.accepted.push({ records: part, result: await send(part) });
      continue;
    } catch (error) {
      if (!(error instanceof PlatformError) || error.kind !== 'refusal') throw error;
      lastRefusal = error.problems[0] ?? { code: String(error.status), detail: error.detail };
      const named = namedRecords(error.problems, part, options);
      if (named.size > 0) {
        for (const [index, problem] of named)
          outcome.refused.push({ record: part[index], reason: reasonOf(options.refusedWhat, problem) });
        const rest = part.filter((_, index) => !named.has(index));
        if (rest.length > 0) parts.unshift(rest);
      } else if (part.length === 1) {
        outcome.refused.push({ record: part[0], reason: reasonOf(options.refusedWhat, lastRefusal) });
      } else {
        const middle = Math.ceil(part.length / 2);
        parts.unshift(part.slice(0, middle), part.slice(middle));
      }
    }
  }
  return outcome;
}

/** Each record a problem points at, with the first problem that names it. */
function namedRecords<T>(problems: RefusalProblem[], part: T[], options: SplitOptions<T>): Map<number, RefusalProblem> {
  const named = new Map<number, RefusalProblem>();
  for (const problem of problems) {
    if (!problem.pointer) continue;
    for (const index of options.recordIndexesOfPointer(problem.pointer, part)) {
      if (index >= 0 && index < part.length && !named.has(index)) named.set(index, problem);
    }
  }
  return named;
}

function reasonOf(refusedWhat: string, problem: RefusalProblem): string {
  return `${refusedWhat}: ${problemText(problem)}`;
}

function problemText(problem: RefusalProblem): string {
  return `${problem.code} ${problem.detail}${problem.pointer ? ` at ${problem.pointer}` : ''}`;
}
