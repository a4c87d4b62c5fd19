// Structured JSON logging shared by agent, relay and emulator (pino).
// Every component gets a child logger named after itself; request ids ride along as `reqId`.
import { pino, type Logger } from 'pino';

export type { Logger };

const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');

/** Root logger writing JSON lines to stderr (stdout stays free for CLI output such as "listening on"). */
const rootLogger: Logger = pino({ level, base: { pid: process.pid } }, pino.destination(2));

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
