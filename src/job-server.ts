import './runtime/apply-memory-policy';
import { createJobService } from './job-service';
import { createLogger } from './logging/logger';
import { guardProcess, shutdownDeadlineMs } from './runtime/process-guards';
import { loadConfigOrExit, reportStartFailure } from './runtime/startup-config';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const job = createJobService(config, logger);
  guardProcess({ process, logger, close: (deadlineMs) => job.close(deadlineMs), deadlineMs: shutdownDeadlineMs });
  const { port } = await job.listen(config.port);
  logger.info({ port, sliceDeadlineMs: config.jobSliceDeadlineMs }, `Scheduled import job listening on port ${port}`);
}

main().catch((error: unknown) => {
  reportStartFailure(error);
  process.exit(1);
});
