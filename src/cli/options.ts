import { Command, CommanderError, InvalidArgumentError } from "commander";
import { formatHostPort, hostPortRule, parseHostPort, tryParseHostPort, type HostPort } from "../wire/host-port";
import { UsageError } from "./errors";

/** Where client commands connect when neither --addr nor SNOWCHAIN_ADDR says otherwise. */
export const DEFAULT_ADDR = "127.0.0.1:50051";
/** The environment variable client commands read their default address from. */
export const ADDR_ENV = "SNOWCHAIN_ADDR";

export type Address = HostPort;

/**
 * Parses host:port (IPv6 as [addr]:port). Returns the reason when it is not one, so the caller
 * can say which option or variable was wrong.
 */
export function parseAddress(value: string): Address | string {
  const parsed = parseHostPort(value);
  if (typeof parsed !== "string") return parsed;
  // Well formed but for the port, or a host name beyond DNS's limits: say so rather than "not host:port".
  if (tryParseHostPort(value.trim().replace(/:\d+$/, ":1"))) return `${JSON.stringify(value)}: the port must be from 1 to 65535`;
  if (parsed !== hostPortRule()) return `${JSON.stringify(value)}: ${parsed}`;
  return `${JSON.stringify(value)} is not host:port (IPv6 as [addr]:port)`;
}

/** host:port as grpc-js dials it. */
export const formatAddress = formatHostPort;

/**
 * The address a client command uses: --addr, else $SNOWCHAIN_ADDR, else 127.0.0.1:50051.
 * Throws UsageError naming where the bad value came from.
 */
export function resolveAddress(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): Address {
  const fromEnv = env[ADDR_ENV]?.trim();
  const [value, source] =
    flag !== undefined ? [flag, "--addr"] : fromEnv ? [fromEnv, ADDR_ENV] : [DEFAULT_ADDR, "default address"];
  const parsed = parseAddress(value);
  if (typeof parsed === "string") throw new UsageError(`${source}: ${parsed}`);
  return parsed;
}

/** A height: a whole number ≥ 0 that fits a double exactly. */
export function parseHeight(value: string): number | string {
  if (!/^\d+$/.test(value.trim())) return `${JSON.stringify(value)} is not a height (a whole number ≥ 0)`;
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n)) return `${JSON.stringify(value)} is too large for a height`;
  return n;
}

/** An entry or block id: 64 hex characters (sha-256). Returns the 32 raw bytes the wire carries. */
export function parseId(value: string): Buffer | string {
  const v = value.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(v)) return `${JSON.stringify(value)} is not an id (64 hex characters)`;
  return Buffer.from(v, "hex");
}

/** A number > 0 (rates, seconds), at most `max`. */
export function parsePositive(value: string, max = Number.MAX_SAFE_INTEGER): number | string {
  const v = value.trim();
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(v) ? Number(v) : NaN;
  if (!(n > 0) || n > max) return `${JSON.stringify(value)} must be a number > 0 and ≤ ${max}`;
  return n;
}

/** A whole number from `min` to `max`. */
export function parseInteger(value: string, min: number, max: number): number | string {
  const v = value.trim();
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    return `${JSON.stringify(value)} must be a whole number from ${min} to ${max}`;
  }
  return n;
}

/**
 * Turns a parser above into a commander argParser: a bad value becomes commander's one-line
 * "option '--from <height>' argument 'x' is invalid." error, which the program exits 2 on.
 */
export function argParser<T>(parse: (value: string) => T | string): (value: string) => T {
  return (value: string) => {
    const result = parse(value);
    if (typeof result === "string") throw new InvalidArgumentError(result);
    return result;
  };
}

/**
 * Parses a script's command line (a program built with exitOverride): on --help or --version it
 * exits 0 after commander printed them, on a bad option 2 after commander printed the reason.
 */
export function parseOrExit(program: Command, argv: readonly string[]): void {
  try {
    program.parse(argv as string[], { from: "user" });
  } catch (err) {
    process.exit(err instanceof CommanderError && err.exitCode === 0 ? 0 : 2);
  }
}
