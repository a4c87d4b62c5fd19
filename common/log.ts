// Structured JSON logging shared by agent, relay and emulator (pino): one JSON object per line on stderr
// with an ISO 8601 `time`, a string `level` ("info", "warn", ...), `pid`, the `component` of the child logger,
// `msg`, and `reqId` where a request id rides along. Collectors (Loki, Fluent Bit, Cloud Logging) read these
// without a pino-specific level map.
import { pino, type Logger } from 'pino';

export type { Logger };

const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');

/** Root logger writing JSON lines to stderr (stdout stays free for CLI output such as "listening on"). */
const rootLogger: Logger = pino(
  {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  pino.destination(2),
);

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
