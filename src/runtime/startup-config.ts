import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../config/env';

/**
 * The configuration from the environment and a .env file in the working directory. A missing or
 * malformed variable ends the process with exit code 1 and one line per problem (values unquoted).
 */
export function loadConfigOrExit(): Config {
  loadDotenv({ quiet: true });
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(
      `${error.message}\nSet them in the environment or in a .env file in the working directory; the README's Configuration table explains each.\n`,
    );
    process.exit(1);
  }
}
