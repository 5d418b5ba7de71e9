import { createHash } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { Command } from "commander";
import { clientOptions, printJson, withClient, type ClientOptions } from "../common";
import type { CliContext } from "../context";
import { CommandError, UsageError, isServiceError } from "../errors";
import { submitJson } from "../format";
import { argParser, parsePositive } from "../options";

/** How long `submit --wait` waits for acceptance by default, in seconds. */
export const DEFAULT_WAIT_TIMEOUT_S = 60;

interface SubmitOptions extends ClientOptions {
  file?: string;
  stdin?: boolean;
  wait?: boolean;
  timeout: number;
}

export function registerSubmit(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command("submit")
      .description("submit an entry and print its id")
      .argument("[text]", "the entry's data, as UTF-8 text")
      .option("--file <path>", "submit the bytes of this file instead")
      .option("--stdin", "submit the bytes read from standard input instead")
      .option("--wait", "wait until the entry is in an accepted block and print its height")
      .option(
        "--timeout <seconds>",
        "with --wait: give up after this long",
        argParser((s) => parsePositive(s, 86_400)),
        DEFAULT_WAIT_TIMEOUT_S,
      ),
  ).action(async (text: string | undefined, opts: SubmitOptions) => {
    const data = await readData(ctx, text, opts);
    const timeoutMs = opts.timeout * 1000;
    const response = await withClient(ctx, opts, async (api) => {
      try {
        return await api.submit(data, opts.wait ? { waitForAcceptance: true, timeoutMs } : {});
      } catch (err) {
        if (opts.wait && isServiceError(err) && err.code === grpc.status.DEADLINE_EXCEEDED) {
          // The id is sha-256 of the data, so it can be named even though the peer never answered.
          const id = createHash("sha256").update(data).digest("hex");
          throw new CommandError(
            `entry ${id} not accepted within ${opts.timeout} s (see later: snowchain entry ${id})`,
          );
        }
        throw err;
      }
    });
    const result = submitJson(response);
    if (opts.wait && !result.accepted) throw new CommandError(`entry ${result.id}: the peer answered without accepting it`);
    if (opts.json) return printJson(ctx, result);
    ctx.out(result.id);
    if (opts.wait) ctx.out(`accepted at height ${result.height}`);
  });
}

/** The entry's bytes from exactly one of: the text argument, --file, --stdin. */
async function readData(ctx: CliContext, text: string | undefined, opts: SubmitOptions): Promise<Buffer> {
  const sources = [text !== undefined, opts.file !== undefined, opts.stdin === true].filter(Boolean).length;
  if (sources !== 1) throw new UsageError("give the entry as exactly one of: <text>, --file <path>, --stdin");
  if (opts.file !== undefined) {
    try {
      return await ctx.readFile(opts.file);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
      throw new UsageError(`--file ${opts.file}: cannot read it (${code})`);
    }
  }
  if (opts.stdin) return ctx.readStdin();
  return Buffer.from(text!, "utf8");
}
