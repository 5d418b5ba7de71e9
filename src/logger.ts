import pino, { type Logger } from "pino";
import type { LogLevel } from "./config";

/** One JSON line per event on stdout; each part gets a child with its module name. */
export function createLogger(level: LogLevel, name: string): Logger {
  return pino({ level, base: { node_id: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
