import { randomUUID } from 'node:crypto';
import type { IdRange } from '../clients/commercetools/keyset-pages';
import type { Logger } from '../logging/logger';
import { backoffDelayMs, sleep } from '../platform/retry';
import { CheckpointWriter } from './checkpoint-writer';
import { CheckpointStore, CommitTracker } from './checkpoints';
import { completenessOf } from './completeness';
import { withDeadline } from './deadline';
import { defaultEngineTiming, type EngineTiming } from './engine-timing';
import type { DryRunFactory } from './dry-run-report';
import { DryRuns, type DryRunStatus } from './dry-runs';
import type { FailedRun, FailureStore } from './failure-store';
import { isLive, type HeldLock, type ImportLocks } from './import-lock';
import type { EffectiveRequest, Importer, ImportRun } from './importer';
import type { LastRunStore } from './last-runs';
import { EngineRefusal } from './refusal';
import { RunProgress } from './run-progress';
import { lockInStatus, modeOf, runSnapshot, stateOfCheckpoint, type RunStatus } from './run-status';
import {
  completeModes,
  type Checkpoint,
  type FailureEntry,
  type ImportType,
  type LastCompletedRun,
  type RunRequest,
  type RunState,
} from './run-types';
import { endStateOf, isInProgress, wasInterrupted, type TrackedRun } from './tracked-run';
import { untilWoundDown } from './wind-down';

export type RecordCounter = (
  type: ImportType,
  request: EffectiveRequest,
  signal: AbortSignal,
) => Promise<number | undefined>;

export interface JobEngineOptions {
  importers: Record<ImportType, Importer>;
  locks: ImportLocks;
  checkpoints: CheckpointStore;
  lastRuns: LastRunStore;
  /**
   * `since: "lastRun"` reads from this long before the last completed run started: clocks differ,
   * and commercetools' queries may not show a change at once.
   */
  sinceMarginMs: number;
  /** Every failure and skip of every run, for the failures endpoint and `retryFailed`. */
  failures: FailureStore;
  logger: Logger;
  /**
   * How many records a run of `request` reads, for the progress its status shows; undefined when
   * they cannot be counted cheaply. Without it, statuses show no total.
   */
  countRecords?: RecordCounter;
  /** Builds the importer of a dry run; without it dry runs are refused as not supported. */
  dryRun?: DryRunFactory;
  /** Overrides of `defaultEngineTiming(locks.ttlMs)`. */
  timing?: Partial<EngineTiming>;
  now?: () => Date;
}

/**
 * Starts, tracks, stops and resumes the imports, one run per type at a time. Every call to
 * commercetools it makes has a deadline, and nothing a run meets (a failed write, an importer's
 * error, a lost lock) leaves it running: it ends in a final state and gives its lock back.
 */
export class JobEngine {
  private readonly runs = new Map<ImportType, TrackedRun>();
  private readonly timing: EngineTiming;
  private readonly now: () => Date;
  /** Aborted on shutdown: ends the auto-resume loops. */
  private readonly closing = new AbortController();
  private readonly dryRuns?: DryRuns;

  constructor(private readonly options: JobEngineOptions) {
    this.timing = { ...defaultEngineTiming(options.locks.ttlMs), ...options.timing };
    this.now = options.now ?? (() => new Date());
    if (options.dryRun) {
      const { logger } = options;
      this.dryRuns = new DryRuns({
        factory: options.dryRun,
        logger,
        windDownMs: this.timing.windDownMs,
        now: this.now,
      });
    }
  }

  /**
   * Starts a dry run in the background: read and map as `start` would, send nothing to Klaviyo.
   * It takes no lock and writes no checkpoint, so it may run beside a real run of the same type.
   */
  async startDryRun(type: ImportType, request: RunRequest): Promise<{ runId: string }> {
    const dryRuns = this.dryRunsOrRefuse();
    if (request.mode === 'resume') throw new EngineRefusal('not-supported', 'A dry run cannot resume.');
    const { effective } = await this.resolve(type, request, AbortSignal.timeout(this.timing.startDeadlineMs));
    return dryRuns.start(type, effective);
  }

  /** Asks the dry run of `type` to stop. */
  stopDryRun(type: ImportType): { runId: string } {
    return this.dryRunsOrRefuse().stop(type);
  }

  /** The last dry run of `type` in this instance, with its report. */
  dryRunStatus(type: ImportType): DryRunStatus {
    return this.dryRunsOrRefuse().status(type);
  }

  /**
   * Takes the lock and launches the run in the background. Answers within `startDeadlineMs` plus
   * `startCleanupMs`: a commercetools that does not answer in time fails the start with a PlatformError.
   */
  async start(type: ImportType, request: RunRequest): Promise<{ runId: string }> {
    const importer = this.options.importers[type];
    this.refuseIfActive(type);
    const runId = randomUUID();
    let tookLock = false;
    try {
      return await withDeadline(this.timing.startDeadlineMs, 'startImport', async (signal) => {
        const acquired = await this.options.locks.acquire(type, runId, signal);
        if (!acquired.acquired) {
          throw new EngineRefusal('locked', `The ${type} import is locked by another run.`, {
            lock: lockInStatus(acquired.holder, this.now()),
          });
        }
        tookLock = true;
        const { effective, checkpoint } = await this.resolve(type, request, signal);
        const ranges = checkpoint ? checkpoint.ranges : importer.initialRanges(effective);
        // Past the deadline the caller has been answered already: launching now would run unannounced.
        signal.throwIfAborted();
        this.launch(importer, runId, effective, ranges, acquired.lock, checkpoint);
        return { runId };
      });
    } catch (error) {
      await this.cleanUpFailedStart(type, runId, tookLock, error);
      throw error;
    }
  }

  /**
   * The last completed full or incremental run of `type`, which `since: "lastRun"` continues from;
   * undefined when there is none yet (such a start is refused with `no-completed-run`).
   */
  lastCompletedRun(type: ImportType): Promise<LastCompletedRun | undefined> {
    return withDeadline(this.timing.statusReadDeadlineMs, 'loadLastRun', (signal) =>
      this.options.lastRuns.load(type, signal),
    );
  }

  /** Asks the running import of `type` to stop after the requests in flight. */
  stop(type: ImportType): { runId: string } {
    const run = this.runs.get(type);
    if (!run || run.state !== 'running')
      throw new EngineRefusal('not-running', `No ${type} import is running in this instance.`);
    this.abort(run, 'stop');
    return { runId: run.context.runId };
  }

  /**
   * Answers from what this instance knows, within about `statusReadDeadlineMs`: the lock and the
   * checkpoint are read with that deadline, and whatever could not be read is named in `unavailable`.
   */
  async status(type: ImportType): Promise<RunStatus> {
    const run = this.runs.get(type);
    // While this instance runs the import it holds the lock: no need to ask commercetools, so
    // polling the status of a running import costs no commercetools request.
    if (run && this.isActive(type))
      return {
        ...runSnapshot(run, this.now()),
        lock: lockInStatus({ kind: 'run', value: run.lock.value }, this.now()),
      };

    const unavailable: Array<'lock' | 'checkpoint'> = [];
    let unavailableReason: string | undefined;
    const read = async <T>(
      part: 'lock' | 'checkpoint',
      call: (signal: AbortSignal) => Promise<T>,
    ): Promise<{ value: T } | undefined> => {
      try {
        return { value: await withDeadline(this.timing.statusReadDeadlineMs, `read ${part}`, call) };
      } catch (error) {
        unavailable.push(part);
        unavailableReason ??= messageOf(error);
        return undefined;
      }
    };
    const [holderRead, checkpointRead] = await Promise.all([
      read('lock', (signal) => this.options.locks.holder(type, signal)),
      run ? undefined : read('checkpoint', (signal) => this.options.checkpoints.load(type, signal)),
    ]);
    const holder = holderRead?.value;
    const known = {
      lock: holder ? lockInStatus(holder, this.now()) : undefined,
      ...(unavailable.length > 0 ? { unavailable, unavailableReason } : {}),
    };
    if (run) return { ...runSnapshot(run, this.now()), ...known };

    const checkpoint = checkpointRead?.value;
    if (isLive(holder, this.now()) && holder.value.runId !== checkpoint?.runId) {
      // A run of another instance that has not written its first checkpoint yet (or whose
      // checkpoint could not be read): its live lock is all there is to tell.
      const { runId, owner, startedAt } = holder.value;
      return { type, state: 'running', runId, startedAt, runningOn: owner, ...known };
    }
    if (!checkpoint) return { type, state: checkpointRead ? 'idle' : 'unknown', ...known };
    const heldByItsRun = isLive(holder, this.now());
    const state = stateOfCheckpoint(checkpoint, heldByItsRun, holderRead !== undefined);
    return {
      type,
      state,
      runId: checkpoint.runId,
      ...modeOf(checkpoint.request, checkpoint.resumed === true),
      startedAt: checkpoint.startedAt,
      counters: checkpoint.counters,
      ...(checkpoint.resent ? { resent: checkpoint.resent } : {}),
      ...(checkpoint.completeness && !isInProgress(state) ? { completeness: checkpoint.completeness } : {}),
      positions: checkpoint.ranges,
      ...(heldByItsRun && isInProgress(state) ? { runningOn: holder.value.owner } : {}),
      ...known,
    };
  }

  /** The status of each type's latest run in this instance, without asking commercetools. */
  runsHere(): RunStatus[] {
    return [...this.runs.values()].map((run) => runSnapshot(run, this.now()));
  }

  /**
   * The failures and skips stored for a run of `type` (`run`: its id, or `last`), a chunk at a
   * time; refused with `unknown-run` when none are stored for that run. `signal` ends the reading.
   */
  async failures(
    type: ImportType,
    run: string,
    signal?: AbortSignal,
  ): Promise<{ run: FailedRun; entries: AsyncIterable<FailureEntry[]> }> {
    const found = await withDeadline(
      this.timing.startDeadlineMs,
      'readFailures',
      (deadline) => this.options.failures.findRun(type, run, deadline),
      signal,
    );
    if (!found) throw unknownRun(type, run);
    return { run: found, entries: this.options.failures.entries(found, signal) };
  }

  /**
   * Deletes the lock of `type`. Refused while this instance runs that import, and while another
   * run's lock is live (renewed and not expired) unless `force` is set.
   */
  async clearLock(type: ImportType, options: { force?: boolean } = {}): Promise<boolean> {
    if (this.isActive(type))
      throw new EngineRefusal('running-here', `A ${type} import is running in this instance; stop it instead.`);
    const force = options.force === true;
    const result = await withDeadline(this.timing.startDeadlineMs, 'clearLock', (signal) =>
      this.options.locks.clear(type, { force, signal }),
    );
    if ('refused' in result) {
      const lock = lockInStatus(result.refused, this.now());
      throw new EngineRefusal(
        'locked',
        `The ${type} lock is live: instance ${String(lock.owner)} renews it and holds it until ${String(lock.expiresAt)}. ` +
          'Stop the import there, or wait for the lock to expire; force=true removes it anyway.',
        { lock },
      );
    }
    this.options.logger.warn({ type, cleared: result.cleared, force }, 'Import lock cleared on request');
    return result.cleared;
  }

  /**
   * Resumes every import whose last run was interrupted (its process died or was shut down), in the
   * background: while the interrupted run's lock is live it tries again once the lock expires, while
   * commercetools fails it backs off and tries again. It gives up on a type once its checkpoint no
   * longer names that interrupted run (another run resumed or replaced it), and on shutdown. Resolves
   * with the types it resumed; never rejects.
   */
  async resumeInterrupted(): Promise<ImportType[]> {
    const types = Object.keys(this.options.importers) as ImportType[];
    const resumed = await Promise.all(
      types.map((type) =>
        this.resumeWhenPossible(type).catch((error: unknown) => {
          this.options.logger.error({ type, reason: messageOf(error) }, 'Auto-resume gave up');
          return false;
        }),
      ),
    );
    return types.filter((_type, index) => resumed[index]);
  }

  /** Stops every run, waits up to `deadlineMs` for checkpoints and lock releases. */
  async shutdown(deadlineMs: number): Promise<void> {
    this.closing.abort(new Error('the service is shutting down'));
    const active = [...this.runs.values()].filter((run) => isInProgress(run.state));
    for (const run of active) this.abort(run, 'shutdown');
    const dryRunsEnded = this.dryRuns?.shutdown();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.all([...active.map((run) => run.done), dryRunsEnded]), deadline]);
    clearTimeout(timer);
  }

  private dryRunsOrRefuse(): DryRuns {
    if (!this.dryRuns) throw new EngineRefusal('not-supported', 'This service does not do dry runs.');
    return this.dryRuns;
  }

  private isActive(type: ImportType): boolean {
    return isInProgress(this.runs.get(type)?.state);
  }

  private refuseIfActive(type: ImportType): void {
    if (!this.isActive(type)) return;
    throw new EngineRefusal('running-here', `A ${type} import is already running in this instance.`, {
      runId: this.runs.get(type)!.context.runId,
    });
  }

  /**
   * Turns `resume` into the request it continues, with that run's checkpoint, `since` into the
   * time it reads from, and `retryFailed` into the ids of the records the run it names failed.
   */
  private async resolve(
    type: ImportType,
    request: RunRequest,
    signal: AbortSignal,
  ): Promise<{ effective: EffectiveRequest; checkpoint?: Checkpoint }> {
    if (request.mode === 'since') return { effective: await this.resolveSince(type, request.since, signal) };
    if (request.mode === 'retryFailed') return { effective: await this.failedIdsOf(type, request.run, signal) };
    if (request.mode !== 'resume') return { effective: request };
    const checkpoint = await this.options.checkpoints.load(type, signal);
    if (!checkpoint) throw new EngineRefusal('nothing-to-resume', `There is no ${type} run to resume.`);
    if (checkpoint.state === 'completed') {
      throw new EngineRefusal('nothing-to-resume', `The last ${type} run completed; there is nothing to resume.`, {
        runId: checkpoint.runId,
      });
    }
    const saved = checkpoint.request;
    const effective = saved.mode === 'retryFailed' ? await this.failedIdsOf(type, saved.run, signal) : saved;
    return { effective, checkpoint };
  }

  private async failedIdsOf(type: ImportType, run: string, signal: AbortSignal): Promise<EffectiveRequest> {
    const source = await this.options.failures.findRun(type, run, signal);
    if (!source) throw unknownRun(type, run);
    if (source.mode === 'deleteAll') {
      throw new EngineRefusal(
        'not-supported',
        `Run ${source.runId} deleted ${type} from Klaviyo; it cannot be retried.`,
        {
          runId: source.runId,
        },
      );
    }
    const ids = await this.options.failures.failedIds(source, signal);
    if (ids.length === 0) {
      throw new EngineRefusal('nothing-to-retry', `The ${type} run ${source.runId} has no failed records stored.`, {
        runId: source.runId,
      });
    }
    return { mode: 'ids', ids, retryOf: source.runId };
  }

  /** An explicit time is the bound as given; `lastRun` is that run's start less the margin. */
  private async resolveSince(type: ImportType, since: string, signal: AbortSignal): Promise<EffectiveRequest> {
    if (since !== 'lastRun') return { mode: 'since', since, modifiedFrom: since };
    const lastRun = await this.options.lastRuns.load(type, signal);
    if (!lastRun) {
      throw new EngineRefusal(
        'no-completed-run',
        `No ${type} import has completed yet, so "since": "lastRun" has nothing to continue from; run a full import first.`,
      );
    }
    const modifiedFrom = new Date(Date.parse(lastRun.startedAt) - this.options.sinceMarginMs).toISOString();
    return { mode: 'since', since, modifiedFrom, afterRunId: lastRun.runId };
  }

  /** Gives back the lock a failed start took, or may have taken (a create whose answer was lost). */
  private async cleanUpFailedStart(type: ImportType, runId: string, tookLock: boolean, cause: unknown): Promise<void> {
    // Refused by someone else's lock: there is nothing of ours to give back.
    if (!tookLock && cause instanceof EngineRefusal) return;
    try {
      await withDeadline(this.timing.startCleanupMs, 'releaseLock', (signal) =>
        this.options.locks.release(type, runId, signal),
      );
    } catch (error) {
      this.options.logger.warn(
        { type, runId, reason: messageOf(error) },
        'Could not give back the lock of a failed start; it expires by itself',
      );
    }
  }

  private async resumeWhenPossible(type: ImportType): Promise<boolean> {
    const { logger } = this.options;
    let interruptedRunId: string | undefined;
    for (let failures = 0; !this.closing.signal.aborted;) {
      let waitMs: number;
      try {
        const checkpoint = await withDeadline(
          this.timing.startDeadlineMs,
          'loadCheckpoint',
          (signal) => this.options.checkpoints.load(type, signal),
          this.closing.signal,
        );
        if (!checkpoint || !wasInterrupted(checkpoint.state)) return false;
        interruptedRunId ??= checkpoint.runId;
        if (checkpoint.runId !== interruptedRunId || this.isActive(type)) return false;
        const { runId } = await this.start(type, { mode: 'resume' });
        logger.info({ type, runId, resumedRunId: interruptedRunId }, 'Resumed interrupted import');
        return true;
      } catch (error) {
        const lock =
          error instanceof EngineRefusal
            ? (error.details?.lock as { expiresAt?: string; owner?: string } | undefined)
            : undefined;
        if (lock?.expiresAt) {
          failures = 0;
          waitMs = Math.max(0, Date.parse(lock.expiresAt) - this.now().getTime()) + this.timing.resumeExpiryMarginMs;
          logger.info(
            { type, holder: lock.owner, expiresAt: lock.expiresAt },
            'Interrupted import is locked; trying again once the lock expires',
          );
        } else if (error instanceof EngineRefusal || this.closing.signal.aborted) {
          // Running here already, nothing to resume, or the original module's lock that only a person clears.
          logger.warn({ type, reason: messageOf(error) }, 'Not resuming interrupted import');
          return false;
        } else {
          failures++;
          const { resumeRetryMinMs, resumeRetryMaxMs } = this.timing;
          waitMs = backoffDelayMs(failures, {
            maxAttempts: Infinity,
            baseDelayMs: resumeRetryMinMs,
            maxDelayMs: resumeRetryMaxMs,
          });
          logger.warn(
            { type, reason: messageOf(error), retryInMs: Math.round(waitMs) },
            'Could not resume interrupted import; trying again',
          );
        }
      }
      try {
        await sleep(waitMs, this.closing.signal);
      } catch {
        return false;
      }
    }
    return false;
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
    const startedAt = resumed ? new Date(resumed.startedAt) : this.now();
    const failures = this.options.failures.recorder(
      {
        runId,
        type: importer.type,
        mode: request.mode,
        startedAt: startedAt.toISOString(),
        ...(resumed ? { continues: resumed.runId } : {}),
      },
      logger,
    );
    const progress = new RunProgress(resumed?.counters, logger, {
      notFound: resumed?.notFound,
      keep: (kind, id, reason) => failures.add(kind, id, reason),
    });
    const controller = new AbortController();
    const checkpointWriter = new CheckpointWriter(
      (signal) =>
        withDeadline(
          this.timing.checkpointWriteDeadlineMs,
          'saveCheckpoint',
          (deadline) => this.saveCheckpoint(run, run.state, deadline),
          signal,
        ),
      (error) =>
        logger.warn({ reason: messageOf(error) }, 'Could not save the checkpoint; the next write carries its position'),
    );
    const tracker = new CommitTracker(
      ranges,
      (lastId) => {
        progress.lastProcessedId = lastId;
        checkpointWriter.request();
      },
      (page) => progress.commit(page),
    );
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
    const run: TrackedRun = {
      context,
      lock,
      resumed: resumed !== undefined,
      resent: (resumed?.resent ?? 0) + (resumed?.sentUncommitted ?? 0),
      state: 'running',
      startedAt,
      controller,
      lockLost: false,
      warnings: [],
      failures,
      done: Promise.resolve(),
    };
    this.runs.set(importer.type, run);
    logger.info({ mode: request.mode, resumed: run.resumed }, 'Import started');
    this.countTotal(run);
    run.done = this.execute(run, importer, checkpointWriter).catch((error: unknown) => {
      // execute handles every failure itself; this is the last guard that keeps the process up.
      logger.error({ reason: messageOf(error) }, 'Import ended unexpectedly');
      run.finishedAt ??= this.now();
      if (isInProgress(run.state)) run.state = 'failed';
    });
  }

  /** Counts the run's records in the background; a count that fails or comes late is left out. */
  private countTotal(run: TrackedRun): void {
    const { countRecords } = this.options;
    if (!countRecords) return;
    const { type, request, signal, logger } = run.context;
    withDeadline(
      this.timing.totalCountDeadlineMs,
      'countRecords',
      (deadline) => countRecords(type, request, deadline),
      signal,
    ).then(
      (total) => {
        if (total !== undefined) run.total = total;
      },
      (error: unknown) => logger.info({ reason: messageOf(error) }, 'Could not count the records to read; no total'),
    );
  }

  private async execute(run: TrackedRun, importer: Importer, checkpointWriter: CheckpointWriter): Promise<void> {
    const heartbeat = this.startHeartbeat(run);
    let endState: RunState;
    try {
      // The first checkpoint says "running", so a crash from here on leaves the run resumable.
      await withDeadline(
        this.timing.checkpointWriteDeadlineMs,
        'saveCheckpoint',
        (signal) => this.saveCheckpoint(run, 'running', signal),
        run.controller.signal,
      );
      await untilWoundDown(run, importer.importRecords(run.context), this.timing.windDownMs);
      endState = run.abortReason ? endStateOf(run) : 'completed';
    } catch (error) {
      endState = run.abortReason ? endStateOf(run) : 'failed';
      if (!run.abortReason) run.error = messageOf(error);
    } finally {
      heartbeat.stop();
    }
    const [, failures] = await Promise.all([checkpointWriter.close(), run.failures.close(this.timing.failuresFlushMs)]);
    if (failures.unstored > 0) {
      run.warnings.push(
        `${failures.unstored} failure entries could not be stored in commercetools; GET /sync/${run.context.type}/failures lacks them`,
      );
    }
    await this.finish(run, endState);
  }

  /**
   * One heartbeat at a time: the next is scheduled once the previous has settled. A heartbeat that
   * finds another run holding the lock ends the run.
   */
  private startHeartbeat(run: TrackedRun): { stop(): void } {
    const { logger } = run.context;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const schedule = (delayMs: number) => {
      if (controller.signal.aborted) return;
      timer = setTimeout(() => void beat(), delayMs);
      timer.unref();
    };
    const beat = async () => {
      try {
        const untilExpiryMs = Date.parse(run.lock.value.expiresAt) - this.now().getTime();
        const renewed = await withDeadline(
          Math.max(this.timing.heartbeatIntervalMs, untilExpiryMs),
          'renewLock',
          (signal) => this.options.locks.renew(run.lock, signal),
          controller.signal,
        );
        if (renewed) schedule(this.timing.heartbeatIntervalMs);
        else this.loseLock(run);
      } catch (error) {
        if (controller.signal.aborted) return;
        logger.warn({ reason: messageOf(error) }, 'Lock heartbeat failed, trying again soon');
        schedule(this.timing.heartbeatRetryMs);
      }
    };
    schedule(this.timing.heartbeatIntervalMs);
    return {
      stop: () => {
        controller.abort(new Error('the run ended'));
        clearTimeout(timer);
      },
    };
  }

  /**
   * Saves the final checkpoint and releases the lock, each within `finalWriteDeadlineMs`, then
   * shows the end state: a client that sees "completed" can start the next run at once. What could
   * not be done is logged and listed in the status; a lock left behind expires by itself.
   */
  private async finish(run: TrackedRun, endState: RunState): Promise<void> {
    const { logger } = run.context;
    this.accountFor(run, endState);
    if (!run.lockLost) {
      try {
        await withDeadline(this.timing.finalWriteDeadlineMs, 'saveCheckpoint', (signal) =>
          this.saveCheckpoint(run, endState, signal),
        );
      } catch (error) {
        run.warnings.push(`the final checkpoint could not be saved: ${messageOf(error)}`);
        logger.error({ reason: messageOf(error) }, 'Could not save the final checkpoint');
      }
    }
    if (endState === 'completed' && !run.lockLost) await this.saveLastCompletedRun(run);
    // The final save may have found the checkpoint in another run's hands.
    if (!run.lockLost) {
      try {
        await withDeadline(this.timing.finalWriteDeadlineMs, 'releaseLock', (signal) =>
          this.options.locks.release(run.context.type, run.context.runId, signal),
        );
      } catch (error) {
        run.warnings.push(
          `the lock could not be released (${messageOf(error)}); it expires by itself at ${run.lock.value.expiresAt}`,
        );
        logger.error(
          { reason: messageOf(error), expiresAt: run.lock.value.expiresAt },
          'Could not release the import lock; it expires by itself',
        );
      }
    }
    run.finishedAt = this.now();
    run.state = run.lockLost ? 'failed' : endState;
    const { progress } = run.context;
    if (progress.skipsByReason.size > 0) {
      logger.info({ skippedByReason: Object.fromEntries(progress.skipsByReason) }, 'Records skipped, by reason');
    }
    logger.info(
      { state: run.state, ...progress.counters, error: run.error, warnings: run.warnings.length },
      'Import finished',
    );
  }

  /**
   * Records a completed full or incremental run for the next `since: "lastRun"`, before the lock is
   * released so the next run finds it. Its start is the bound: records changed while it read may
   * have been passed already. A resumed run keeps the start of the run it continues.
   */
  private async saveLastCompletedRun(run: TrackedRun): Promise<void> {
    const { context } = run;
    if (!completeModes.has(context.request.mode)) return;
    try {
      await withDeadline(this.timing.finalWriteDeadlineMs, 'saveLastRun', (signal) =>
        this.options.lastRuns.save(
          {
            runId: context.runId,
            type: context.type,
            mode: context.request.mode,
            startedAt: run.startedAt.toISOString(),
            finishedAt: this.now().toISOString(),
          },
          signal,
        ),
      );
    } catch (error) {
      run.warnings.push(
        `the completed run could not be recorded for "since": "lastRun" (${messageOf(error)}); the next incremental run starts from the one before`,
      );
      context.logger.error({ reason: messageOf(error) }, 'Could not record the completed run');
    }
  }

  /**
   * Sets and logs how the run accounts for what it read. A deletion reads Klaviyo, not
   * commercetools: it has nothing to account for in those terms.
   */
  private accountFor(run: TrackedRun, endState: RunState): void {
    const { context } = run;
    if (context.request.mode === 'deleteAll') return;
    run.completeness = completenessOf({
      type: context.type,
      state: endState,
      counters: context.progress.counters,
      notFound: context.progress.notFoundCount,
      unsettled: context.tracker.unsettledRecords(),
    });
    const { line, ...counts } = run.completeness;
    context.logger.info({ completeness: counts }, `Import completeness: ${line}`);
  }

  /** Writes the run's checkpoint with its committed position and counters; nothing once the lock is lost. */
  private async saveCheckpoint(run: TrackedRun, state: RunState, signal: AbortSignal): Promise<void> {
    const { context } = run;
    // A deletion has nothing to resume, and must not overwrite the import's checkpoint.
    if (context.request.mode === 'deleteAll' || run.lockLost) return;
    const result = await this.options.checkpoints.save(
      {
        runId: context.runId,
        type: context.type,
        request: savedForm(context.request),
        ...(run.resumed ? { resumed: true } : {}),
        state,
        ranges: context.tracker.positions(),
        counters: { ...context.progress.committed },
        ...resentFields(run),
        ...(context.progress.notFoundCount > 0 ? { notFound: context.progress.notFoundCount } : {}),
        importerState: context.importerState,
        ...(run.completeness ? { completeness: run.completeness } : {}),
        startedAt: run.startedAt.toISOString(),
        updatedAt: this.now().toISOString(),
      },
      run.checkpointVersion,
      signal,
    );
    if (result.saved) run.checkpointVersion = result.version;
    else this.loseLock(run, result.runId);
  }

  /** Another run holds the lock (or wrote the checkpoint): stop at once and write nothing more. */
  private loseLock(run: TrackedRun, otherRunId?: string): void {
    if (run.lockLost) return;
    run.lockLost = true;
    run.error = `the lock was taken over by another run${otherRunId ? ` (${otherRunId})` : ''}; this run stopped without saving`;
    run.context.logger.error({ otherRunId }, 'Import lock lost to another run; stopping without writing anything more');
    this.abort(run, 'lock lost');
  }

  private abort(run: TrackedRun, reason: NonNullable<TrackedRun['abortReason']>): void {
    if (run.abortReason) return;
    run.abortReason = reason;
    if (run.state === 'running') run.state = 'stopping';
    run.controller.abort(new Error(`import ${reason === 'stop' ? 'stopped' : reason}`));
  }
}

/** A retry's ids are the failure store's: the checkpoint names their run instead of repeating them. */
function savedForm(request: EffectiveRequest): Checkpoint['request'] {
  return request.mode === 'ids' && request.retryOf !== undefined
    ? { mode: 'retryFailed', run: request.retryOf }
    : request;
}

function unknownRun(type: ImportType, run: string): EngineRefusal {
  return new EngineRefusal(
    'unknown-run',
    run === 'last' ? `No ${type} run has stored failures yet.` : `No ${type} run ${run} is known to the failure store.`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a checkpoint says about records sent twice: those of open pages now, and those a resume re-sent. */
function resentFields(run: TrackedRun): Pick<Checkpoint, 'sentUncommitted' | 'resent'> {
  const sentUncommitted = run.context.progress.counters.sent - run.context.progress.committed.sent;
  return {
    ...(sentUncommitted > 0 ? { sentUncommitted } : {}),
    ...(run.resent > 0 ? { resent: run.resent } : {}),
  };
}
