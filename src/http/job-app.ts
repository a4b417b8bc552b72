import express from 'express';
import type { Logger } from '../logging/logger';
import { errorFields } from '../logging/error-fields';
import { runImportSlice } from '../engine/import-slice';
import type { JobEngine } from '../engine/job-engine';
import { importTypes, type ImportType, type RunRequest } from '../engine/run-types';
import { describeOutcome, describeSequenceEnd } from './outcome-words';
import { parseStartRequest } from './request-schemas';

export interface JobAppOptions {
  engine: Pick<JobEngine, 'start' | 'stop' | 'status' | 'lastCompletedRun'>;
  logger: Logger;
  /** Each call stops its running import this long after it began, so it answers before the scheduler gives up. */
  sliceDeadlineMs: number;
  /** The start body (as POST /sync/<type> takes it) of every new run a slice starts. */
  newRunBody: Record<string, unknown>;
  /** Aborted when the process shuts down: the slice under way stops and answers. */
  shutdown?: AbortSignal;
}

/**
 * The scheduled job's HTTP face: each POST /job runs one slice of work (the unfinished round of
 * imports or a new one, see runImportSlice, stopped with its checkpoint at the slice deadline) and
 * answers once the slice has ended. 200 when every import completed or the deadline paused one, 503 when an
 * import failed or could not start, 409 while an earlier call's slice is still running.
 */
export function createJobApp({
  engine,
  logger,
  sliceDeadlineMs,
  newRunBody,
  shutdown,
}: JobAppOptions): express.Express {
  // Checked once here, with the validation of the HTTP API: a body it refuses stops the job at start.
  const newRuns = Object.fromEntries(importTypes.map((type) => [type, parseStartRequest(type, newRunBody)])) as Record<
    ImportType,
    RunRequest
  >;
  let sliceRunning = false;
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  app.post('/job', async (_request, response) => {
    if (sliceRunning) {
      response.status(409).json({ error: 'busy', message: 'The slice of an earlier call is still running.' });
      return;
    }
    sliceRunning = true;
    try {
      logger.info({ sliceDeadlineMs }, 'Import slice started');
      const slice = await runImportSlice(engine, {
        newRun: (type) => newRuns[type],
        deadlineMs: sliceDeadlineMs,
        signal: shutdown,
      });
      // Paused: the deadline stopped an import, or came between two; anything else ended the slice early.
      const last = slice.outcomes.at(-1);
      const paused =
        !slice.completed &&
        slice.deadlineReached &&
        (last === undefined || (last.started && ['stopped', 'completed'].includes(last.status.state)));
      const message = paused
        ? `the slice deadline was reached; the next call resumes: ${describeSequenceEnd(slice)}`
        : describeSequenceEnd(slice);
      logger.info({ completed: slice.completed, paused }, `Import slice ended: ${message}`);
      response.status(slice.completed || paused ? 200 : 503).json({
        completed: slice.completed,
        deadlineReached: slice.deadlineReached,
        message,
        imports: slice.outcomes.map((outcome) => ({
          type: outcome.type,
          ...(outcome.started
            ? {
                state: outcome.status.state,
                runId: outcome.status.runId,
                mode: outcome.status.mode,
                counters: outcome.status.counters,
              }
            : { state: 'not started' }),
          summary: describeOutcome(outcome),
        })),
      });
    } catch (error) {
      logger.error(errorFields(error), 'Import slice failed');
      response.status(500).json({ error: 'internal', message: 'The slice failed; see the job log.' });
    } finally {
      sliceRunning = false;
    }
  });

  app.use((_request, response) => {
    response.status(404).json({ error: 'not_found', message: 'The job answers POST /job.' });
  });
  return app;
}
