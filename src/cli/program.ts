import { Command, CommanderError } from "commander";
import { registerChain } from "./commands/chain";
import { registerEntry } from "./commands/entry";
import { registerLab } from "./commands/lab";
import { registerLoad } from "./commands/load";
import { registerPeer } from "./commands/peer";
import { registerSimulate } from "./commands/simulate";
import { registerStatus } from "./commands/status";
import { registerSubmit } from "./commands/submit";
import { registerWatch } from "./commands/watch";
import type { CliContext } from "./context";
import { EXIT_OK, EXIT_USAGE, describeError } from "./errors";
import { isSnowchainError, ErrorCode } from "../errors";

/** The `snowchain` program. Nothing here exits the process: runCli returns the exit code. */
export function createProgram(ctx: CliContext, version: string): Command {
  const program = new Command("snowchain")
    .description("snowchain: a peer-to-peer blockchain testnet whose peers agree through Snowball")
    .version(version, "-V, --version", "print the version")
    .configureOutput({
      writeOut: (s) => ctx.out(s.replace(/\n$/, "")),
      writeErr: (s) => ctx.err(s.replace(/\n$/, "")),
    })
    // Subcommands made with .command() inherit these two.
    .exitOverride()
    .showSuggestionAfterError(true);
  registerPeer(program, ctx);
  registerSubmit(program, ctx);
  registerStatus(program, ctx);
  registerChain(program, ctx);
  registerWatch(program, ctx);
  registerEntry(program, ctx);
  registerLoad(program, ctx);
  registerLab(program, ctx);
  registerSimulate(program, ctx);
  return program;
}

/**
 * Runs the program on the user's arguments (argv without node and the script) and returns the
 * exit code: 0 done, 1 a call failed, 2 a bad command line.
 */
export async function runCli(args: readonly string[], ctx: CliContext, version: string): Promise<number> {
  const program = createProgram(ctx, version);
  try {
    await program.parseAsync([...args], { from: "user" });
    return EXIT_OK;
  } catch (err) {
    // commander has already printed its one-line message (or the help / version).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const { line, exitCode } = describeError(err);
    ctx.err(line);
    // A bad environment for `snowchain peer` is a bad invocation, like a bad option.
    return isSnowchainError(err, ErrorCode.BAD_CONFIG) ? EXIT_USAGE : exitCode;
  }
}
