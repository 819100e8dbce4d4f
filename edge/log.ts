/** Structured JSON logs: one line per event on the given stream (stdout). Built once; no per-request logging at info. */
import type { LogLevel } from './config';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export type LogFields = Record<string, string | number | boolean | undefined | null | readonly string[]>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  isDebug(): boolean;
}

export interface LineSink {
  write(line: string): unknown;
}

export function createLogger(level: LogLevel, sink: LineSink, base: LogFields = {}): Logger {
  const min = RANK[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, event: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    sink.write(JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...base, ...fields }) + '\n');
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
    isDebug: () => min <= RANK.debug,
  };
}
