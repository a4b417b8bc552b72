import './runtime/apply-memory-policy';
import { createLogger } from './logging/logger';
import { guardProcess, shutdownDeadlineMs } from './runtime/process-guards';
import { loadConfigOrExit, reportStartFailure } from './runtime/startup-config';
import { createService } from './service';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const service = createService(config, logger);
  guardProcess({ process, logger, close: (deadlineMs) => service.close(deadlineMs), deadlineMs: shutdownDeadlineMs });
  if (!config.apiKey) {
    logger.warn('BULK_IMPORT_API_KEY is not set: anyone who can reach this port can start and stop imports');
  }
  const { port } = await service.listen(config.port);
  logger.info({ port, instanceId: service.instanceId }, `Bulk import API listening on port ${port}`);

  if (config.autoResume) {
    // In the background: it waits for locks to expire and for commercetools to answer.
    service.engine.resumeInterrupted().then(
      (resumed) => logger.info({ resumed }, 'Auto-resume done'),
      (error: Error) => logger.error({ reason: error.message }, 'Auto-resume failed'),
    );
  }
}

main().catch((error: unknown) => {
  reportStartFailure(error);
  process.exit(1);
});
