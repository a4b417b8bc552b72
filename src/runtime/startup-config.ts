import { config as loadDotenv } from 'dotenv';
import { ConfigError } from '../config/config-error';
import { loadConfig, type Config } from '../config/env';
import { createLogger } from '../logging/logger';

/**
 * The configuration from the environment and a .env file in the working directory. A missing or
 * malformed variable ends the process with exit code 1 and one log line naming each problem.
 */
export function loadConfigOrExit(): Config {
  loadDotenv({ quiet: true });
  try {
    return loadConfig(process.env);
  } catch (error) {
    reportStartFailure(error);
    process.exit(1);
  }
}

/**
 * A start that fails is one JSON log line at ERROR, as every other line the service writes, so
 * Cloud Logging shows it as one entry; a configuration error lists each problem (values unquoted).
 */
export function reportStartFailure(error: unknown): void {
  const logger = createLogger('error');
  if (error instanceof ConfigError) {
    const count = `${error.problems.length} ${error.problems.length === 1 ? 'problem' : 'problems'}`;
    logger.error(
      { problems: error.problems },
      `Invalid configuration (${count}): set the variables in the environment or in a .env file; the README's Configuration table explains each`,
    );
  } else {
    logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'The service failed to start');
  }
}
