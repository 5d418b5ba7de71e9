#!/usr/bin/env node
import { processContext } from "./context";
import { packageVersion } from "../package-info";
import { runCli } from "./program";

/** After a command ends, open handles get this long to close before the process exits anyway. */
const EXIT_GRACE_MS = 2000;

async function main(): Promise<void> {
  // `snowchain watch | head` closes our stdout early: that is a normal end, not a crash.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  const code = await runCli(process.argv.slice(2), processContext(), packageVersion());
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write(`snowchain: handles still open ${EXIT_GRACE_MS} ms after the command ended; exiting\n`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
}

void main();
