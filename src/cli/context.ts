import * as dns from "node:dns";
import * as fs from "node:fs";
import { GrpcSnowchainApi, createClient, type SnowchainApi } from "./client";
import { realTimers, type Timers } from "./load/timers";

/**
 * What commands touch of the outside world. main.ts builds the real one; tests pass fakes, so
 * commands run without a network, a terminal or signals.
 */
export interface CliContext {
  /** Writes one line of program output (stdout). */
  out(line: string): void;
  /** Writes one line of diagnostics (stderr). */
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A client for a peer at host:port. The caller closes it. */
  connect(addr: string): SnowchainApi;
  readFile(path: string): Promise<Buffer>;
  readStdin(): Promise<Buffer>;
  /** Every address a host name resolves to (IPv4 and IPv6). */
  lookupAll(host: string): Promise<string[]>;
  /** Calls `handler` on Ctrl-C (SIGINT) or SIGTERM until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  now(): number;
  random(): number;
  readonly timers: Timers;
}

/** The context of the real process. */
export function processContext(): CliContext {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
    connect: (addr) => new GrpcSnowchainApi(createClient(addr)),
    readFile: (path) => fs.promises.readFile(path),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      return Buffer.concat(chunks);
    },
    lookupAll: async (host) => (await dns.promises.lookup(host, { all: true })).map((a) => a.address),
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
      return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
      };
    },
    now: () => Date.now(),
    random: () => Math.random(),
    timers: realTimers,
  };
}
