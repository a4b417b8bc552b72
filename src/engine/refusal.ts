/**
 * Why the engine refuses a start, stop or lock request:
 * - `locked`: another run holds the import's lock;
 * - `running-here`: this instance runs that import (stop it instead, or wait);
 * - `not-running`: there is no run of that import here to stop;
 * - `nothing-to-resume`: no checkpoint, or the last run completed;
 * - `not-supported`: the importer does not do what the request asks;
 * - `no-completed-run`: `since: "lastRun"` with no completed full or incremental run to continue
 *   from (a caller that wants one anyway starts a full run instead);
 * - `unknown-run`: no failures are stored for the run named;
 * - `nothing-to-retry`: the run named failed no record.
 */
export type RefusalReason =
  | 'locked'
  | 'running-here'
  | 'not-running'
  | 'nothing-to-resume'
  | 'not-supported'
  | 'no-completed-run'
  | 'unknown-run'
  | 'nothing-to-retry';

/** A request the engine refuses, with the reason and what the caller needs to know about it. */
export class EngineRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
