/**
 * A configuration the service cannot start with. Each problem names its variable (or settings
 * field) and never quotes the value, since several variables hold secrets.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}
