import type { Command } from "commander";
import { fetchChain } from "../client";
import { clientOptions, withClient, type ClientOptions } from "../common";
import type { CliContext } from "../context";
import { UsageError } from "../errors";
import { blockJson, formatBlock } from "../format";
import { argParser, parseHeight } from "../options";

interface ChainOptions extends ClientOptions {
  from: number;
  to?: number;
}

export function registerChain(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command("chain")
      .description("print accepted blocks with their entries")
      .option("--from <height>", "first height", argParser(parseHeight), 0)
      .option("--to <height>", "last height (default: the last accepted block)", argParser(parseHeight)),
  ).action(async (opts: ChainOptions) => {
    if (opts.to !== undefined && opts.to < opts.from) {
      throw new UsageError(`--to ${opts.to} is below --from ${opts.from}`);
    }
    // JSON is streamed as one array, one block per line, so a long chain is not held in memory.
    let first = true;
    if (opts.json) ctx.out("[");
    await withClient(ctx, opts, (api) =>
      fetchChain(api, opts.from, opts.to, (blocks) => {
        for (const b of blocks.map(blockJson)) {
          if (opts.json) ctx.out(`${first ? "" : ","}${JSON.stringify(b)}`);
          else formatBlock(b).forEach((line) => ctx.out(line));
          first = false;
        }
      }),
    );
    if (opts.json) ctx.out("]");
  });
}
