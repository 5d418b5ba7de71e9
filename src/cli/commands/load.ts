import type { Command } from "commander";
import { CALL_TIMEOUT_MS } from "../client";
import { clientOptions, printJson, targetAddress, type ClientOptions } from "../common";
import type { CliContext } from "../context";
import { CommandError } from "../errors";
import { MIN_ENTRY_SIZE, loadEntryData, newRunId } from "../load/data";
import { LoadRunner, reasonOf, type LoadStats } from "../load/runner";
import { MAX_BLOCK_BYTES_LIMIT } from "../../wire/channel";
import { SUBMIT_BATCH_LIMITS } from "../../wire/limits";
import { PeerTargets } from "../load/targets";
import { argParser, formatAddress, parseInteger, parsePositive } from "../options";

/**
 * Defaults of `snowchain load`. Batching is on by default because it costs nothing at low rates:
 * an entry due alone still goes alone (Submit), and only entries due within one linger of each
 * other (above ~200/s) or queued behind full concurrency share a SubmitBatch call, which is what
 * lifts the ~5,000 calls/s a machine's unary calls are capped at.
 */
export const LOAD_DEFAULTS = { size: 128, concurrency: 64, batch: 100, lingerMs: 5 } as const;
/** Largest --size: the peer's largest MAX_ENTRY_BYTES. */
export const MAX_ENTRY_SIZE = MAX_BLOCK_BYTES_LIMIT;

interface LoadCommandOptions extends ClientOptions {
  rate: number;
  duration?: number;
  size: number;
  concurrency: number;
  batch: number;
  linger: number;
}

export function registerLoad(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command("load")
      .description(
        "submit generated entries at a steady rate to random peers (a host name stands for all its addresses)",
      )
      .requiredOption("--rate <entries/s>", "entries per second", argParser((s) => parsePositive(s, 1_000_000)))
      .option("--duration <seconds>", "stop after this long (default: until Ctrl-C)", argParser((s) => parsePositive(s, 31_536_000)))
      .option(
        "--size <bytes>",
        `bytes per entry (${MIN_ENTRY_SIZE} to ${MAX_ENTRY_SIZE})`,
        argParser((s) => parseInteger(s, MIN_ENTRY_SIZE, MAX_ENTRY_SIZE)),
        LOAD_DEFAULTS.size,
      )
      .option(
        "--concurrency <calls>",
        "most submits in flight at once",
        argParser((s) => parseInteger(s, 1, 100_000)),
        LOAD_DEFAULTS.concurrency,
      )
      .option(
        "--batch <entries>",
        `most entries per call: entries due together share one SubmitBatch (1: one Submit per entry; at most ${SUBMIT_BATCH_LIMITS.maxEntries})`,
        argParser((s) => parseInteger(s, 1, SUBMIT_BATCH_LIMITS.maxEntries)),
        LOAD_DEFAULTS.batch,
      )
      .option(
        "--linger <ms>",
        "with --batch > 1: wait up to this long for more entries to share a call (0: only those due at once)",
        argParser((s) => parseInteger(s, 0, 1000)),
        LOAD_DEFAULTS.lingerMs,
      ),
  ).action(async (opts: LoadCommandOptions) => {
    const addr = targetAddress(ctx, opts);
    const targets = new PeerTargets(addr, ctx, CALL_TIMEOUT_MS);
    await targets.start();
    const runId = newRunId(ctx.now(), () => ctx.random());
    const runner = new LoadRunner(
      { ratePerSec: opts.rate, durationSec: opts.duration, concurrency: opts.concurrency, batch: opts.batch, lingerMs: opts.linger },
      {
        now: () => ctx.now(),
        timers: ctx.timers,
        pickTarget: () => targets.pick(),
        makeData: (seq) => loadEntryData(runId, seq, opts.size),
        targetCount: () => targets.size,
        report: (stats, final) => (opts.json ? printJson(ctx, { ...stats, final }) : ctx.out(formatLoadStats(stats, final))),
      },
    );
    if (!opts.json) {
      const peers = targets.size > 0 ? `${targets.size} peer(s)` : "no peer resolved yet";
      ctx.err(`load: ${opts.rate}/s of ${opts.size}-byte entries to ${formatAddress(addr)} (${peers}), run ${runId}`);
    }
    if (targets.lastError !== undefined) {
      ctx.err(`load: cannot resolve ${addr.host} (${reasonOf(targets.lastError)}); trying again every few seconds`);
    }
    const off = ctx.onInterrupt(() => runner.stop());
    let stats: LoadStats;
    try {
      stats = await runner.run();
    } finally {
      off();
      targets.close();
    }
    if (stats.submitted > 0 && stats.ok === 0) throw new CommandError("no entry was acknowledged by any peer");
  });
}

/** One progress line: `load 5.0s: submitted 500 ok 498 errors 2 ...`. */
export function formatLoadStats(s: LoadStats, final: boolean): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? (s.ok / secs).toFixed(1) : "0.0";
  const reasons = Object.entries(s.errorsByReason)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  const calls = s.calls.Submit + s.calls.SubmitBatch;
  return (
    `load ${final ? "done after " : ""}${secs.toFixed(1)}s: submitted ${s.submitted} ok ${s.ok} errors ${s.errors}` +
    (s.skipped > 0 ? ` skipped ${s.skipped}` : "") +
    ` inflight ${s.inflight} | ${rate} ok/s | ${s.targets} peer(s)` +
    (s.calls.SubmitBatch > 0 ? ` | ${calls} calls, ${(s.submitted / calls).toFixed(1)} entries/call` : "") +
    (reasons ? ` | errors: ${reasons}` : "")
  );
}
