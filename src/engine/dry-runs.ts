import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { CommitTracker } from './checkpoints';
import type { DryRunFactory, DryRunReport } from './dry-run-report';
import type { ImportRun } from './importer';
import { EngineRefusal } from './refusal';
import { RunProgress } from './run-progress';
import { runSnapshot, type RunStatus } from './run-status';
import type { ImportType, StartedRequest } from './run-types';
import { isInProgress, type TrackedRun } from './tracked-run';
import { untilWoundDown } from './wind-down';

/** What `GET /sync/<type>/dry-run` answers: the last dry run of this instance and its report. */
export type DryRunStatus = RunStatus & { dryRun: true; dryRunReport?: DryRunReport };

interface DryRun extends Pick<
  TrackedRun,
  'context' | 'resumed' | 'state' | 'startedAt' | 'finishedAt' | 'controller' | 'error' | 'warnings' | 'done'
> {
  abortReason?: 'stop' | 'shutdown';
  report(): DryRunReport;
}

export interface DryRunsOptions {
  factory: DryRunFactory;
  logger: Logger;
  windDownMs: number;
  now: () => Date;
}

/**
 * Dry runs, one per type at a time, beside the real runs: they read and map as a run does with a
 * Klaviyo that records instead of sending, and take no lock and write no checkpoint, so one may
 * run while a real import of the same type runs. What they found is kept in this instance only.
 */
export class DryRuns {
  private readonly runs = new Map<ImportType, DryRun>();

  constructor(private readonly options: DryRunsOptions) {}

  start(type: ImportType, request: StartedRequest): { runId: string } {
    if (request.mode === 'deleteAll') throw new EngineRefusal('not-supported', 'A dry run cannot delete.');
    const active = this.runs.get(type);
    if (active && isInProgress(active.state)) {
      throw new EngineRefusal('running-here', `A ${type} dry run is already running in this instance.`, {
        runId: active.context.runId,
      });
    }
    const { importer, report } = this.options.factory(type);
    const ranges = importer.initialRanges(request);
    const runId = randomUUID();
    const logger = this.options.logger.child({ type, runId, dryRun: true });
    const progress = new RunProgress(undefined, logger);
    const tracker = new CommitTracker(
      ranges,
      (lastId) => (progress.lastProcessedId = lastId),
      (page) => progress.commit(page),
    );
    const controller = new AbortController();
    const context: ImportRun = { runId, type, request, ranges, tracker, progress, signal: controller.signal, logger };
    const run: DryRun = {
      context,
      resumed: false,
      state: 'running',
      startedAt: this.options.now(),
      controller,
      warnings: [],
      report,
      done: Promise.resolve(),
    };
    this.runs.set(type, run);
    logger.info({ mode: request.mode }, 'Dry run started');
    run.done = untilWoundDown(run, importer.importRecords(context), this.options.windDownMs).then(
      () => this.finish(run, run.abortReason ? endStateOf(run.abortReason) : 'completed'),
      (error: unknown) => {
        if (!run.abortReason) run.error = error instanceof Error ? error.message : String(error);
        this.finish(run, run.abortReason ? endStateOf(run.abortReason) : 'failed');
      },
    );
    // The last guard that keeps the process up, should ending the run itself fail.
    run.done.catch((error: unknown) => {
      logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'Dry run ended unexpectedly');
      run.finishedAt ??= this.options.now();
      if (isInProgress(run.state)) run.state = 'failed';
    });
    return { runId };
  }

  stop(type: ImportType): { runId: string } {
    const run = this.runs.get(type);
    if (!run || run.state !== 'running')
      throw new EngineRefusal('not-running', `No ${type} dry run is running in this instance.`);
    this.abort(run, 'stop');
    return { runId: run.context.runId };
  }

  status(type: ImportType): DryRunStatus {
    const run = this.runs.get(type);
    if (!run) return { type, state: 'idle', dryRun: true };
    return { ...runSnapshot(run, this.options.now()), dryRun: true, dryRunReport: run.report() };
  }

  /** Aborts every dry run; resolves once they have ended. */
  async shutdown(): Promise<void> {
    const active = [...this.runs.values()].filter((run) => isInProgress(run.state));
    for (const run of active) this.abort(run, 'shutdown');
    await Promise.all(active.map((run) => run.done));
  }

  private abort(run: DryRun, reason: 'stop' | 'shutdown'): void {
    if (run.abortReason) return;
    run.abortReason = reason;
    run.state = 'stopping';
    run.controller.abort(new Error(`dry run ${reason === 'stop' ? 'stopped' : 'shut down'}`));
  }

  private finish(run: DryRun, state: DryRun['state']): void {
    run.finishedAt = this.options.now();
    run.state = state;
    const { records, refusals, klaviyoSeconds } = run.report();
    run.context.logger.info(
      {
        state,
        ...run.context.progress.counters,
        ...records,
        refusals: refusals.count,
        klaviyoSeconds,
        error: run.error,
      },
      'Dry run finished',
    );
  }
}

function endStateOf(reason: 'stop' | 'shutdown'): DryRun['state'] {
  return reason === 'stop' ? 'stopped' : 'interrupted';
}
