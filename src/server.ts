import './runtime/apply-memory-policy';
import { config as loadDotenv } from 'dotenv';
import { ConfigError } from './config/config-error';
import { loadConfig } from './config/env';
import { createLogger, type Logger } from './logging/logger';
import { guardProcess } from './runtime/process-guards';
import { createService } from './service';

/** Cloud Run gives 10 s between SIGTERM and SIGKILL; leave room to close the server. */
const shutdownDeadlineMs = 8_000;

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const config = loadConfig(process.env);
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

/**
 * A start that fails is one JSON log line at ERROR, as every other line the service writes, so
 * Cloud Logging shows it as one entry; a configuration error lists each problem.
 */
function reportStartFailure(logger: Logger, error: unknown): void {
  if (error instanceof ConfigError) {
    logger.error(
      { problems: error.problems },
      `Invalid configuration (${error.problems.length} ${error.problems.length === 1 ? 'problem' : 'problems'}): set the variables in the environment or in a .env file; the README's Configuration table explains each`,
    );
  } else {
    logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'The service failed to start');
  }
}

main().catch((error: unknown) => {
  reportStartFailure(createLogger('error'), error);
  process.exit(1);
});
