import type { Command } from "commander";
import type { CliContext } from "../context";

export function registerPeer(program: Command, _ctx: CliContext): void {
  program
    .command("peer")
    .description("run a peer configured from the environment (NODE_ID, LISTEN_ADDR, SEEDS, ...: see README)")
    .option("--exit-with-parent", "stop cleanly when standard input closes: a runner's peers then never outlive it, even if it is killed")
    .action(async (opts: { exitWithParent?: boolean }) => {
      // Loaded only here: client commands start without loading the node (store, consensus, metrics).
      const { runPeer } = await import("../../run-peer");
      // Reads the environment, runs until SIGTERM/SIGINT, resolves once the node has stopped.
      await runPeer({ exitWithParent: opts.exitWithParent === true });
    });
}
