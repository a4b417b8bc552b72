import { EngineRefusal, type RefusalReason } from '../../../src/engine/refusal';
import type { createApp } from '../../../src/http/app';
import type { encodeFailure } from '../../../src/http/failure-encoding';

/** The engine as the HTTP app sees it; the fake follows whatever `createApp` asks for. */
export type AppEngine = Parameters<typeof createApp>[0]['engine'];
type Method = keyof AppEngine;
type ImportType = Parameters<AppEngine['start']>[0];
type StartRequest = Parameters<AppEngine['start']>[1];
type Status = Awaited<ReturnType<AppEngine['status']>>;
type FailedRun = Awaited<ReturnType<AppEngine['failures']>>['run'];
type FailureEntry = Parameters<typeof encodeFailure>[0];

/** One call the app made, with what the route passed on. */
export type EngineCall =
  | { method: 'start'; type: ImportType; request: StartRequest }
  | { method: 'stop'; type: ImportType }
  | { method: 'status'; type: ImportType }
  | { method: 'clearLock'; type: ImportType; force: boolean | undefined }
  | { method: 'startDryRun'; type: ImportType; request: StartRequest }
  | { method: 'stopDryRun'; type: ImportType }
  | { method: 'dryRunStatus'; type: ImportType }
  | { method: 'failures'; type: ImportType; run: string };

/** The engine's refusal of a request, by why it refused. The only place these tests build the engine's error. */
export function refusal(reason: RefusalReason, message: string, details?: Record<string, unknown>): Error {
  return new EngineRefusal(reason, message, details);
}

/**
 * An engine that records every call and answers at once: starts get `run-<n>`, stops `stopped-run`,
 * statuses `idle` unless set, lock clears `true` unless set. `fail` makes a method throw from then on.
 */
export function fakeEngine() {
  const calls: EngineCall[] = [];
  const failures = new Map<Method, unknown>();
  const statuses = new Map<ImportType, Status>();
  let cleared = true;
  const storedRuns = new Map<string, { run: FailedRun; chunks: FailureEntry[][] }>();

  const failIfAsked = (method: Method) => {
    if (failures.has(method)) throw failures.get(method);
  };

  const engine: AppEngine = {
    start: async (type, request) => {
      calls.push({ method: 'start', type, request });
      failIfAsked('start');
      return { runId: `run-${calls.length}` };
    },
    stop: (type) => {
      calls.push({ method: 'stop', type });
      failIfAsked('stop');
      return { runId: 'stopped-run' };
    },
    status: async (type) => {
      calls.push({ method: 'status', type });
      failIfAsked('status');
      return statuses.get(type) ?? { type, state: 'idle' };
    },
    clearLock: async (type, options) => {
      calls.push({ method: 'clearLock', type, force: options?.force });
      failIfAsked('clearLock');
      return cleared;
    },
    startDryRun: async (type, request) => {
      calls.push({ method: 'startDryRun', type, request });
      failIfAsked('startDryRun');
      return { runId: `dry-run-${calls.length}` };
    },
    stopDryRun: (type) => {
      calls.push({ method: 'stopDryRun', type });
      failIfAsked('stopDryRun');
      return { runId: 'stopped-dry-run' };
    },
    dryRunStatus: (type) => {
      calls.push({ method: 'dryRunStatus', type });
      failIfAsked('dryRunStatus');
      return { type, state: 'idle', dryRun: true };
    },
    failures: (type, run) => {
      calls.push({ method: 'failures', type, run });
      failIfAsked('failures');
      const stored = storedRuns.get(`${type}/${run}`);
      if (!stored) throw new EngineRefusal('unknown-run', `No ${type} run ${run} is known to the failure store.`);
      return Promise.resolve({ run: stored.run, entries: chunksOf(stored.chunks) });
    },
  };

  return {
    engine,
    calls,
    fail: (method: Method, error: unknown) => failures.set(method, error),
    answerStatus: (status: Status) => statuses.set(status.type, status),
    answerCleared: (value: boolean) => (cleared = value),
    /** Failures of a run, found by its id and as `last` of its type. */
    storeFailures: (type: ImportType, runId: string, chunks: FailureEntry[][], unstored = 0) => {
      const run: FailedRun = {
        runId,
        type,
        mode: 'all',
        startedAt: '2026-01-01T00:00:00.000Z',
        chunks: chunks.length,
        stored: chunks.flat().length,
        unstored,
      };
      storedRuns.set(`${type}/${runId}`, { run, chunks });
      storedRuns.set(`${type}/last`, { run, chunks });
    },
  };
}

async function* chunksOf<T>(chunks: T[][]): AsyncGenerator<T[]> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}
