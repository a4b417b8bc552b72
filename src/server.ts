import './runtime/apply-memory-policy';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig } from './config/env';
import { createLogger } from './logging/logger';
import { createService } from './service';

/** Cloud Run gives 10 s between SIGTERM and SIGKILL; leave room to close the server. */
const shutdownDeadlineMs = 8_000;

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  const service = createService(config, logger);
  if (!config.apiKey) {
    logger.warn('BULK_IMPORT_API_KEY is not set: anyone who can reach this port can start and stop imports');
  }
  const { port } = await service.listen(config.port);
  logger.info({ port, instanceId: service.instanceId }, `Bulk import API listening on port ${port}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down: stopping imports and saving checkpoints');
    service.close(shutdownDeadlineMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  if (config.autoResume) {
    // In the background: it waits for locks to expire and for commercetools to answer.
    service.engine.resumeInterrupted().then(
      (resumed) => logger.info({ resumed }, 'Auto-resume done'),
      (error: Error) => logger.error({ reason: error.message }, 'Auto-resume failed'),
    );
  }
}

main().catch((error: Error) => {
  process.stderr.write(`Bulk import service failed to start: ${error.message}\n`);
  process.exit(1);
});
