import type { Config } from './config/env';
import { createEngine, type EngineOptions } from './engine-composition';
import { httpServer } from './http/http-server';
import { createJobApp } from './http/job-app';
import type { Logger } from './logging/logger';

/**
 * What each new run of the scheduled job asks for: the records changed since the last completed
 * run (a type that never completed one is imported in full).
 */
const incrementalRunBody = { since: 'lastRun' };

export type JobServiceOptions = EngineOptions;

export interface JobService {
  /** Starts the HTTP server; port 0 picks a free one. */
  listen(port: number): Promise<{ port: number }>;
  /** Stops the slice under way (checkpoint saved, lock released) within `deadlineMs`, then the server. */
  close(deadlineMs: number): Promise<void>;
}

/** The scheduled job (a Connect job application): the engine behind POST /job, one slice per call. */
export function createJobService(config: Config, logger: Logger, options: JobServiceOptions = {}): JobService {
  const { engine } = createEngine(config, logger, options);
  const shutdown = new AbortController();
  const server = httpServer(
    createJobApp({
      engine,
      logger,
      sliceDeadlineMs: config.jobSliceDeadlineMs,
      newRunBody: incrementalRunBody,
      shutdown: shutdown.signal,
    }),
  );
  return {
    listen: (port) => server.listen(port),
    close: async (deadlineMs) => {
      shutdown.abort(new Error('the job is shutting down'));
      await engine.shutdown(deadlineMs);
      await server.close();
    },
  };
}
