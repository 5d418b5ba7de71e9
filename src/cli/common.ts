import type { Command } from "commander";
import type { SnowchainApi } from "./client";
import type { CliContext } from "./context";
import { ADDR_ENV, DEFAULT_ADDR, argParser, formatAddress, parseAddress, resolveAddress, type Address } from "./options";

/** Options every client command takes. */
export interface ClientOptions {
  addr?: Address;
  json?: boolean;
}

/** Adds --addr and --json to a client command. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option(
      "--addr <host:port>",
      `the peer to call (default: $${ADDR_ENV}, else ${DEFAULT_ADDR})`,
      argParser(parseAddress),
    )
    .option("--json", "machine-readable JSON output");
}

/** The peer address a client command calls, from --addr, $SNOWCHAIN_ADDR or the default. */
export function targetAddress(ctx: CliContext, opts: ClientOptions): Address {
  return resolveAddress(opts.addr === undefined ? undefined : formatAddress(opts.addr), ctx.env);
}

/** Connects to the command's peer, runs `fn`, and always closes the channel. */
export async function withClient<T>(ctx: CliContext, opts: ClientOptions, fn: (api: SnowchainApi) => Promise<T>): Promise<T> {
  const api = ctx.connect(formatAddress(targetAddress(ctx, opts)));
  try {
    return await fn(api);
  } finally {
    api.close();
  }
}

/** Prints a value as one line of JSON. */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out(JSON.stringify(value));
}
