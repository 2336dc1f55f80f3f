/** The logging the domain needs; Powertools' Logger satisfies it, and tests pass a silent one. */
export interface Logger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Last-resort logger (JSON lines on stderr) for when the configured one cannot be had. */
export const stderrLogger: Logger = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (message: string, ...extra: Record<string, unknown>[]) =>
      console.error(JSON.stringify({ level: level.toUpperCase(), message, ...Object.assign({}, ...extra) })),
  ]),
) as unknown as Logger;
