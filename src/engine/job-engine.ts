import { randomUUID } from 'node:crypto';
import type { IdRange } from '../clients/commercetools/keyset-pages';
import type { Logger } from '../logging/logger';
import { CheckpointStore, CommitTracker } from './checkpoints';
import type { HeldLock, ImportLocks, LockHolder } from './import-lock';
import type { EffectiveRequest, Importer, ImportRun } from './importer';
import { RunProgress } from './run-progress';
import type { Checkpoint, ImportType, RecordFailure, RunCounters, RunMode, RunRequest, RunState } from './run-types';

/** A start, stop or lock request the engine refuses, with the HTTP status that says why. */
export class EngineRefusal extends Error {
  constructor(
    readonly status: 400 | 404 | 423 | 501,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface RunStatus {
  type: ImportType;
  state: RunState | 'idle';
  runId?: string;
  mode?: RunMode;
  startedAt?: string;
  finishedAt?: string;
  elapsedSeconds?: number;
  recordsPerSecond?: number;
  counters?: RunCounters;
  lastProcessedId?: string;
  positions?: IdRange[];
  recentFailures?: RecordFailure[];
  recentSkips?: RecordFailure[];
  error?: string;
}

interface Run {
  /** What the importer got: id, type, request, progress and commit tracker of the run. */
  context: ImportRun;
  lock: HeldLock;
  state: RunState;
  startedAt: Date;
  finishedAt?: Date;
  controller: AbortController;
  /** Why the run was aborted: a user's stop, or the process shutting down. */
  abortReason?: 'stop' | 'shutdown' | 'lock lost';
  error?: string;
  done: Promise<void>;
}

interface JobEngineOptions {
  importers: Partial<Record<ImportType, Importer>>;
  locks: ImportLocks;
  checkpoints: CheckpointStore;
  logger: Logger;
}

/** Checkpoints are written at most this often while a run advances. */
const checkpointIntervalMs = 1_000;

/** Starts, tracks, stops and resumes the imports, one run per type at a time. */
export class JobEngine {
  private readonly runs = new Map<ImportType, Run>();

  constructor(private readonly options: JobEngineOptions) {}

  async start(type: ImportType, request: RunRequest): Promise<{ runId: string }> {
    const importer = this.options.importers[type];
    if (!importer) throw new EngineRefusal(501, `The ${type} import is not available in this version.`);
    if (this.isActive(type)) {
      throw new EngineRefusal(423, `A ${type} import is already running in this instance.`, {
        runId: this.runs.get(type)!.context.runId,
      });
    }
    const runId = randomUUID();
    const acquired = await this.options.locks.acquire(type, runId);
    if (!acquired.acquired) {
      throw new EngineRefusal(423, `The ${type} import is locked by another run.`, { lock: describeLock(acquired.holder) });
    }
    try {
      const { effective, checkpoint } = await this.resolve(type, request);
      const ranges = checkpoint ? checkpoint.ranges : importer.initialRanges(effective);
      this.launch(importer, runId, effective, ranges, acquired.lock, checkpoint);
      return { runId };
    } catch (error) {
      await this.options.locks.release(acquired.lock);
      throw error;
    }
  }

  /** Asks the running import of `type` to stop after the requests in flight. */
  stop(type: ImportType): { runId: string } {
    const run = this.runs.get(type);
    if (!run || run.state !== 'running') throw new EngineRefusal(400, `No ${type} import is running in this instance.`);
    this.abort(run, 'stop');
    return { runId: run.context.runId };
  }

  async status(type: ImportType): Promise<RunStatus & { lock?: unknown }> {
    const run = this.runs.get(type);
    // While this instance runs the import it holds the lock: no need to ask commercetools, so
    // polling the status of a running import costs no commercetools request.
    if (run && this.isActive(type)) return { ...snapshot(run), lock: describeLock({ kind: 'run', value: run.lock.value }) };
    if (run) {
      const lock = describeHolder(await this.options.locks.holder(type));
      return { ...snapshot(run), lock };
    }
    // No run in this instance since it started: the lock and the last checkpoint are independent reads.
    const [holder, checkpoint] = await Promise.all([this.options.locks.holder(type), this.options.checkpoints.load(type)]);
    const lock = describeHolder(holder);
    if (!checkpoint) return { type, state: 'idle', lock };
    // A run that was running when its process died left a checkpoint saying so.
    const state = wasInterrupted(checkpoint.state) ? 'interrupted' : checkpoint.state;
    return {
      type,
      state,
      runId: checkpoint.runId,
      mode: checkpoint.request.mode,
      startedAt: checkpoint.startedAt,
      counters: checkpoint.counters,
      positions: checkpoint.ranges,
      lock,
    };
  }

  /** Deletes the lock of `type` whoever holds it; refused while this instance runs that import. */
  async clearLock(type: ImportType): Promise<boolean> {
    if (this.isActive(type)) throw new EngineRefusal(423, `A ${type} import is running in this instance; stop it instead.`);
    const cleared = await this.options.locks.clear(type);
    this.options.logger.warn({ type, cleared }, 'Import lock cleared on request');
    return cleared;
  }

  /** Resumes every import whose last run was interrupted (the process died or was shut down). */
  async resumeInterrupted(): Promise<ImportType[]> {
    const resumed: ImportType[] = [];
    for (const type of Object.keys(this.options.importers) as ImportType[]) {
      const checkpoint = await this.options.checkpoints.load(type);
      if (!checkpoint || !wasInterrupted(checkpoint.state)) continue;
      try {
        await this.start(type, { mode: 'resume' });
        resumed.push(type);
      } catch (error) {
        this.options.logger.warn({ type, reason: (error as Error).message }, 'Could not resume interrupted import');
      }
    }
    return resumed;
  }

  /** Stops every run, waits up to `deadlineMs` for checkpoints and lock releases. */
  async shutdown(deadlineMs: number): Promise<void> {
    const active = [...this.runs.values()].filter((run) => isInProgress(run.state));
    for (const run of active) this.abort(run, 'shutdown');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.all(active.map((run) => run.done)), deadline]);
    clearTimeout(timer);
  }

  private isActive(type: ImportType): boolean {
    return isInProgress(this.runs.get(type)?.state);
  }

  /** Turns `resume` into the request it continues, with that run's checkpoint. */
  private async resolve(
    type: ImportType,
    request: RunRequest,
  ): Promise<{ effective: EffectiveRequest; checkpoint?: Checkpoint }> {
    if (request.mode !== 'resume') return { effective: request };
    const checkpoint = await this.options.checkpoints.load(type);
    if (!checkpoint) throw new EngineRefusal(400, `There is no ${type} run to resume.`);
    if (checkpoint.state === 'completed') {
      throw new EngineRefusal(400, `The last ${type} run completed; there is nothing to resume.`, { runId: checkpoint.runId });
    }
    return { effective: checkpoint.request, checkpoint };
  }

  private launch(
    importer: Importer,
    runId: string,
    request: EffectiveRequest,
    ranges: IdRange[],
    lock: HeldLock,
    resumed: Checkpoint | undefined,
  ): void {
    const logger = this.options.logger.child({ type: importer.type, runId });
    const progress = new RunProgress(resumed?.counters, logger);
    const startedAt = resumed ? new Date(resumed.startedAt) : new Date();
    let run: Run;
    const checkpointWriter = new ThrottledWriter(checkpointIntervalMs, () =>
      this.saveCheckpoint(run, run.state),
    );
    const tracker = new CommitTracker(ranges, (lastId) => {
      progress.lastProcessedId = lastId;
      checkpointWriter.request();
    });
    const controller = new AbortController();
    const context: ImportRun = {
      runId,
      type: importer.type,
      request,
      ranges,
      tracker,
      progress,
      signal: controller.signal,
      logger,
      importerState: resumed?.importerState,
    };
    run = {
      context,
      lock,
      state: 'running',
      startedAt,
      controller,
      done: Promise.resolve(),
    };
    this.runs.set(importer.type, run);
    logger.info({ mode: request.mode, resumed: Boolean(resumed) }, 'Import started');

    const heartbeat = setInterval(() => {
      this.options.locks.renew(lock).then(
        (renewed) => {
          if (!renewed) this.abort(run, 'lock lost');
        },
        (error: Error) => logger.warn({ reason: error.message }, 'Lock heartbeat failed, will try again'),
      );
    }, Math.max(1_000, this.options.locks.ttlMs / 3));
    heartbeat.unref();

    run.done = (async () => {
      await this.saveCheckpoint(run, run.state);
      let endState: RunState;
      try {
        await importer.run(context);
        endState = run.abortReason ? endStateOf(run.abortReason) : 'completed';
      } catch (error) {
        endState = run.abortReason ? endStateOf(run.abortReason) : 'failed';
        if (!run.abortReason) run.error = (error as Error).message;
      } finally {
        clearInterval(heartbeat);
        run.finishedAt = new Date();
        await checkpointWriter.close();
      }
      await this.finish(run, endState);
    })();
  }

  /**
   * Saves the final checkpoint and releases the lock before the status shows the end state, so a
   * client that sees "completed" can start the next run at once.
   */
  private async finish(run: Run, endState: RunState): Promise<void> {
    const { logger } = run.context;
    try {
      await this.saveCheckpoint(run, endState);
    } catch (error) {
      logger.error({ reason: (error as Error).message }, 'Could not save the final checkpoint');
    }
    if (run.abortReason !== 'lock lost') {
      try {
        await this.options.locks.release(run.lock);
      } catch (error) {
        logger.error({ reason: (error as Error).message }, 'Could not release the import lock; it expires by itself');
      }
    }
    run.state = endState;
    logger.info({ state: run.state, ...run.context.progress.counters, error: run.error }, 'Import finished');
  }

  private async saveCheckpoint(run: Run, state: RunState): Promise<void> {
    // A deletion has nothing to resume, and must not overwrite the import's checkpoint.
    const { context } = run;
    if (context.request.mode === 'deleteAll') return;
    await this.options.checkpoints.save({
      runId: context.runId,
      type: context.type,
      request: context.request,
      state,
      ranges: context.tracker.positions(),
      counters: { ...context.progress.counters },
      importerState: context.importerState,
      startedAt: run.startedAt.toISOString(),
      updatedAt: new Date().toISOString(),
    });
  }

  private abort(run: Run, reason: NonNullable<Run['abortReason']>): void {
    if (run.abortReason) return;
    run.abortReason = reason;
    if (run.state === 'running') run.state = 'stopping';
    run.controller.abort(new Error(`import ${reason === 'stop' ? 'stopped' : reason}`));
    if (reason === 'lock lost') run.error = 'the lock was taken over by another instance';
  }
}

/** A run still going (or winding down after a stop): it holds the lock and writes checkpoints. */
function isInProgress(state: RunState | undefined): boolean {
  return state === 'running' || state === 'stopping';
}

/** A saved state of a run that did not end by itself: its process died, or was shut down. */
function wasInterrupted(state: RunState): boolean {
  return isInProgress(state) || state === 'interrupted';
}

function endStateOf(reason: NonNullable<Run['abortReason']>): RunState {
  if (reason === 'stop') return 'stopped';
  if (reason === 'shutdown') return 'interrupted';
  return 'failed';
}

function snapshot(run: Run): RunStatus {
  const { context } = run;
  const end = run.finishedAt ?? new Date();
  const elapsedSeconds = Math.max(0, (end.getTime() - run.startedAt.getTime()) / 1000);
  return {
    type: context.type,
    state: run.state,
    runId: context.runId,
    mode: context.request.mode,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString(),
    elapsedSeconds: Math.round(elapsedSeconds * 10) / 10,
    recordsPerSecond: elapsedSeconds > 0 ? Math.round(context.progress.counters.sent / elapsedSeconds) : 0,
    counters: { ...context.progress.counters },
    lastProcessedId: context.progress.lastProcessedId,
    positions: context.tracker.positions(),
    recentFailures: [...context.progress.recentFailures],
    recentSkips: [...context.progress.recentSkips],
    error: run.error,
  };
}

function describeHolder(holder: LockHolder | undefined): Record<string, unknown> | undefined {
  return holder ? describeLock(holder) : undefined;
}

function describeLock(holder: LockHolder): Record<string, unknown> {
  if (holder.kind === 'legacy') {
    return { legacy: true, note: 'set by the original module; it never expires, clear it with DELETE /sync/<type>/lock' };
  }
  return { owner: holder.value.owner, runId: holder.value.runId, startedAt: holder.value.startedAt, expiresAt: holder.value.expiresAt };
}

/** Runs `write` at most once per interval however often it is requested, one write at a time. */
class ThrottledWriter {
  private pending = false;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly write: () => Promise<void>,
  ) {}

  request(): void {
    this.pending = true;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Waits for the writes under way; the caller writes the final state itself. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.pending = false;
    await this.chain;
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.pending) return;
    this.pending = false;
    this.chain = this.chain.then(this.write).catch(() => undefined);
  }
}
