import { PlatformError } from '../platform/platform-error';
import type { ImportOutcome, SequenceOutcome } from '../engine/run-sequence';
import { describePlatformError } from './platform-problem';

/** Why a start failed, in the words the HTTP API answers it with. */
export function describeStartFailure(error: unknown): string {
  const words =
    error instanceof PlatformError
      ? describePlatformError(error).message
      : error instanceof Error
        ? error.message
        : String(error);
  // Sentences end where the caller puts them together.
  return words.replace(/\.$/, '');
}

/** One line on how an import of a sequence ended: counts only, never record data. */
export function describeOutcome(outcome: ImportOutcome): string {
  if (!outcome.started) return `${outcome.type} import did not start: ${describeStartFailure(outcome.error)}`;
  const { type, state, counters, elapsedSeconds, error } = outcome.status;
  const counts = counters
    ? `read ${counters.read}, sent ${counters.sent}, failed ${counters.failed}, skipped ${counters.skipped}`
    : 'no counts';
  const took = elapsedSeconds === undefined ? '' : ` in ${elapsedSeconds} s`;
  switch (state) {
    case 'completed':
      return `${type} import completed: ${counts}${took}`;
    case 'stopped':
    case 'interrupted':
      return `${type} import ${state} (${counts}${took}); its checkpoint is saved and a resume continues it`;
    case 'failed':
    case 'running':
    case 'stopping':
      return `${type} import ${state}: ${error ?? 'see the log'} (${counts}${took})`;
  }
}

/** The reason a sequence did not complete: the outcome of the import that ended it. */
export function describeSequenceEnd(sequence: SequenceOutcome): string {
  const last = sequence.outcomes.at(-1);
  if (sequence.completed) return `every import completed (${sequence.outcomes.map((o) => o.type).join(', ')})`;
  return last ? describeOutcome(last) : 'stopped before the first import started';
}
