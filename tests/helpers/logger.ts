import type { Logger, LogLevel } from '../../src/logger';

/** A logger that keeps what it is told, one `<level> <message>` line each. */
export function recorder(level: LogLevel = 'info'): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    level,
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}
