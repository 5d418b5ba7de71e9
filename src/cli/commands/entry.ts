import * as grpc from "@grpc/grpc-js";
import type { Command } from "commander";
import { clientOptions, printJson, withClient, type ClientOptions } from "../common";
import type { CliContext } from "../context";
import { isServiceError } from "../errors";
import { entryStateJson, formatEntryState } from "../format";
import { argParser, parseId } from "../options";

export function registerEntry(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command("entry")
      .description("show an entry's state (pending, accepted or unknown), its height and block")
      .argument("<id>", "the entry id (64 hex characters)", argParser(parseId)),
  ).action(async (id: Buffer, opts: ClientOptions) => {
    const response = await withClient(ctx, opts, async (api) => {
      try {
        return await api.getEntry(id);
      } catch (err) {
        // A peer that has never seen the entry may answer NOT_FOUND: that is the "unknown" state.
        if (isServiceError(err) && err.code === grpc.status.NOT_FOUND) return undefined;
        throw err;
      }
    });
    const entry = entryStateJson(id, response);
    if (opts.json) printJson(ctx, entry);
    else formatEntryState(entry).forEach((line) => ctx.out(line));
  });
}
