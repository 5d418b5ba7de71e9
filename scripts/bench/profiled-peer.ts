/**
 * A peer under V8's sampling profiler, for `bench --cpu-prof`: node 20 refuses --cpu-prof in
 * NODE_OPTIONS, and LocalTestnet runs `node <cliPath> peer`, so this file is the cliPath. It
 * starts the profiler through the in-process inspector, runs the real CLI, and writes
 * $BENCH_CPU_PROF_DIR/CPU.<node id>.<pid>.cpuprofile when the peer exits (the inspector session
 * answers synchronously, so this works inside the 'exit' handler).
 */
import * as fs from "node:fs";
import * as inspector from "node:inspector";
import * as path from "node:path";
import { findPackageRoot } from "../../src/package-info";
import { PROFILE_CLI_ENV, PROFILE_DIR_ENV } from "./profile";
/** Sampling interval, µs: node --cpu-prof's default. */
const INTERVAL_US = 1000;

const dir = process.env[PROFILE_DIR_ENV];
if (dir) {
  fs.mkdirSync(dir, { recursive: true });
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: INTERVAL_US });
  session.post("Profiler.start");
  process.on("exit", () => {
    session.post("Profiler.stop", (err, res) => {
      if (err || !res) return;
      const file = path.join(dir, `CPU.${process.env.NODE_ID ?? "peer"}.${process.pid}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(res.profile));
    });
  });
}

require(process.env[PROFILE_CLI_ENV] ?? path.join(findPackageRoot(__dirname), "dist", "src", "cli", "main.js"));
