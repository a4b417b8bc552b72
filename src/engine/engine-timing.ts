/**
 * Every deadline and interval of the engine. Production values come from `defaultEngineTiming`;
 * tests shorten them.
 */
export interface EngineTiming {
  /**
   * From the end of one heartbeat to the start of the next. A heartbeat may take until the lock
   * would expire (at least one interval): a slow answer that still lands in time keeps the lock.
   */
  heartbeatIntervalMs: number;
  /** After a failed heartbeat the next comes this soon, so a few failures do not let the lock expire. */
  heartbeatRetryMs: number;
  /** Lock acquisition and checkpoint read of a start, together. */
  startDeadlineMs: number;
  /** Releasing the lock of a start that failed. */
  startCleanupMs: number;
  /** Each checkpoint write while a run goes on. */
  checkpointWriteDeadlineMs: number;
  /** The final checkpoint, and the lock release, each. */
  finalWriteDeadlineMs: number;
  /** At the end of a run, writing the failures still buffered (beside the final checkpoint). */
  failuresFlushMs: number;
  /** Each read (lock, checkpoint) of a status. */
  statusReadDeadlineMs: number;
  /** Counting the records a run reads, once at its start; the status shows no total when it takes longer. */
  totalCountDeadlineMs: number;
  /**
   * How long an aborted importer gets to finish its requests in flight before the run ends without
   * it. Short enough that on SIGTERM the final checkpoint and the release still fit in Cloud Run's
   * 10 s; records of requests cut off are not committed, so a resume sends them again.
   */
  windDownMs: number;
  /** Auto-resume: the first and the longest wait between tries while commercetools fails. */
  resumeRetryMinMs: number;
  resumeRetryMaxMs: number;
  /** Auto-resume: how long past a live lock's expiry it tries again. */
  resumeExpiryMarginMs: number;
}

export function defaultEngineTiming(lockTtlMs: number): EngineTiming {
  return {
    heartbeatIntervalMs: Math.max(1_000, lockTtlMs / 3),
    heartbeatRetryMs: Math.max(500, lockTtlMs / 12),
    startDeadlineMs: 8_000,
    startCleanupMs: 1_500,
    checkpointWriteDeadlineMs: 10_000,
    finalWriteDeadlineMs: 5_000,
    failuresFlushMs: 3_000,
    statusReadDeadlineMs: 1_000,
    totalCountDeadlineMs: 5_000,
    windDownMs: 4_000,
    resumeRetryMinMs: 1_000,
    resumeRetryMaxMs: 60_000,
    resumeExpiryMarginMs: 1_000,
  };
}
