import { sleep } from '../platform/retry';
import type { JobEngine } from './job-engine';
import { EngineRefusal } from './refusal';
import type { RunStatus } from './run-status';
import type { ImportType, RunRequest, RunState } from './run-types';
import { isInProgress } from './tracked-run';

/**
 * The order in which `all` runs the imports: the catalog first, so that order events can name
 * products Klaviyo already knows, and customers before their orders.
 */
export const dependencyOrder: readonly ImportType[] = ['categories', 'products', 'customers', 'orders'];

/** How one import of a sequence ended: its final status, or why it did not start. */
export type ImportOutcome =
  | { type: ImportType; started: true; status: RunStatus & { state: RunState } }
  | { type: ImportType; started: false; error: unknown };

export interface SequenceOutcome {
  /** True when every import of the sequence completed. */
  completed: boolean;
  /** One per import that was started or refused, in order; the last is the one that ended the sequence. */
  outcomes: ImportOutcome[];
}

export interface SequenceOptions {
  /** Aborting it stops the running import (its checkpoint is saved) and starts no further one. */
  signal?: AbortSignal;
  /** Every status read while an import runs, its final one included. */
  onStatus?: (status: RunStatus) => void;
  /** Each import's outcome, as it ends. */
  onOutcome?: (outcome: ImportOutcome) => void;
  /** How often the running import's status is read; default 500 ms. */
  pollMs?: number;
}

/**
 * Runs imports of this engine one after another, each to its end, and stops at the first that
 * does not complete. `requestFor` is asked for each type's request just before it starts, so it
 * can look at that type's last run. A start the engine refuses (locked, nothing to resume) or
 * that fails ends the sequence with the reason.
 */
export async function runInSequence(
  engine: Pick<JobEngine, 'start' | 'stop' | 'status'>,
  types: readonly ImportType[],
  requestFor: (type: ImportType) => Promise<RunRequest> | RunRequest,
  options: SequenceOptions = {},
): Promise<SequenceOutcome> {
  const outcomes: ImportOutcome[] = [];
  for (const type of types) {
    if (options.signal?.aborted) break;
    const outcome = await runToEnd(engine, type, requestFor, options);
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
    if (!outcome.started || outcome.status.state !== 'completed') return { completed: false, outcomes };
  }
  return { completed: outcomes.length === types.length, outcomes };
}

async function runToEnd(
  engine: Pick<JobEngine, 'start' | 'stop' | 'status'>,
  type: ImportType,
  requestFor: (type: ImportType) => Promise<RunRequest> | RunRequest,
  { signal, onStatus, pollMs = 500 }: SequenceOptions,
): Promise<ImportOutcome> {
  let runId: string;
  try {
    const request = await requestFor(type);
    // Stopped while the request was being prepared: nothing to start.
    signal?.throwIfAborted();
    ({ runId } = await engine.start(type, request));
  } catch (error) {
    return { type, started: false, error };
  }
  let stopAsked = false;
  for (;;) {
    const status = await engine.status(type);
    onStatus?.(status);
    if (status.runId === runId && isFinal(status.state))
      return { type, started: true, status: { ...status, state: status.state } };
    if (signal?.aborted && !stopAsked) {
      stopAsked = true;
      stopQuietly(engine, type);
      continue;
    }
    try {
      await sleep(pollMs, stopAsked ? undefined : signal);
    } catch {
      // Aborted while waiting: the next turn asks the run to stop.
    }
  }
}

function isFinal(state: RunStatus['state']): state is RunState {
  return state !== 'idle' && state !== 'unknown' && !isInProgress(state);
}

/** A run that ended between the last status and the stop is refused as not running: nothing to stop. */
function stopQuietly(engine: Pick<JobEngine, 'stop'>, type: ImportType): void {
  try {
    engine.stop(type);
  } catch (error) {
    if (!(error instanceof EngineRefusal)) throw error;
  }
}
