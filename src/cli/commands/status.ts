import type { Command } from "commander";
import { clientOptions, printJson, withClient, type ClientOptions } from "../common";
import type { CliContext } from "../context";
import { formatStatus, statusJson } from "../format";

export function registerStatus(program: Command, ctx: CliContext): void {
  clientOptions(program.command("status").description("show a peer's status: height, peers, mempool, consensus"))
    .action(async (opts: ClientOptions) => {
      const status = statusJson(await withClient(ctx, opts, (api) => api.status()));
      if (opts.json) printJson(ctx, status);
      else formatStatus(status).forEach((line) => ctx.out(line));
    });
}
