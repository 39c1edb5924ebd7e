/** A one-line-per-event logger. `silent` is what tests use; `info` logs one line per request. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info';

export interface Logger {
  level: LogLevel;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = (min: LogLevel, tag: string) => (message: string) => {
    if (RANK[level] >= RANK[min]) write(`${new Date().toISOString()} ${tag} ${message}\n`);
  };
  return { level, info: at('info', 'info'), warn: at('warn', 'warn'), error: at('error', 'error') };
}
