import type { Command } from "commander";
import { clientOptions, printJson, withClient, type ClientOptions } from "../common";
import type { CliContext } from "../context";
import { blockJson, formatBlockLine } from "../format";
import { argParser, parseHeight } from "../options";

interface WatchOptions extends ClientOptions {
  from?: number;
}

export function registerWatch(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command("watch")
      .description("print blocks as they are accepted, one per line, until Ctrl-C")
      .option("--from <height>", "start with the accepted blocks from this height (default: only new ones)", argParser(parseHeight)),
  ).action(async (opts: WatchOptions) => {
    const abort = new AbortController();
    const off = ctx.onInterrupt(() => abort.abort());
    try {
      await withClient(ctx, opts, (api) =>
        api.watchBlocks(
          opts.from,
          (block) => {
            const b = blockJson(block);
            if (opts.json) printJson(ctx, b);
            else ctx.out(formatBlockLine(b));
          },
          abort.signal,
        ),
      );
    } finally {
      off();
    }
  });
}
