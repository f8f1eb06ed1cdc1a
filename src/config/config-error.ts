/** A setting is missing, malformed or contradictory. The CLI prints the message as one line and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
