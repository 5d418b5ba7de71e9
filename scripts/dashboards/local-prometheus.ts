/**
 * Runs a real Prometheus against local peers (the `npm run testnet` network, no Docker):
 *
 *   node dist/scripts/dashboards/local-prometheus.js --peers 5 [--base-port 9100]
 *   node dist/scripts/dashboards/local-prometheus.js --targets 127.0.0.1:9100,127.0.0.1:9101
 *   node dist/scripts/dashboards/local-prometheus.js --targets-file .testnet/prometheus-targets.json
 *   node dist/scripts/dashboards/local-prometheus.js        # that file, when no option is given
 *
 * Options: --port (default 9090, on 127.0.0.1), --dir (default .testnet/prometheus: config, rules,
 * targets/ and the TSDB). --targets-file follows the file_sd file `npm run testnet` writes (and
 * rewrites as peers come and go). --lab host:port also scrapes a fault lab's /metrics (`snowchain
 * lab run` serves it on 127.0.0.1:9190): the dashboards then show its faults as annotations.
 * Stops Prometheus on Ctrl-C.
 */
import { access } from "node:fs/promises";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { LocalPrometheus } from "./prometheus";

/** What `npm run testnet` writes (its default --dir is .testnet). */
const DEFAULT_TARGETS_FILE = path.join(".testnet", "prometheus-targets.json");

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      peers: { type: "string" },
      "base-port": { type: "string", default: "9100" },
      targets: { type: "string" },
      "targets-file": { type: "string" },
      port: { type: "string", default: "9090" },
      dir: { type: "string", default: path.join(".testnet", "prometheus") },
      lab: { type: "string" },
    },
  });
  let targets: string[] = [];
  let targetsFile = values["targets-file"];
  if (!targetsFile && !values.targets && !values.peers && (await exists(DEFAULT_TARGETS_FILE))) {
    targetsFile = DEFAULT_TARGETS_FILE;
  }
  if (targetsFile) {
    // The file's own targets; nothing static.
  } else if (values.targets) {
    targets = values.targets.split(",").map((t) => t.trim()).filter(Boolean);
  } else if (values.peers) {
    const n = Number(values.peers);
    const base = Number(values["base-port"]);
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(base)) throw new Error("--peers and --base-port take integers");
    targets = Array.from({ length: n }, (_, i) => `127.0.0.1:${base + i}`);
  } else {
    throw new Error("give --targets-file FILE, --peers N [--base-port P] or --targets host:port,...");
  }
  const labTargets = values.lab ? [values.lab] : [];
  const prometheus = new LocalPrometheus({ dir: path.resolve(values.dir ?? ""), targets, targetsFile, labTargets, port: Number(values.port) });
  const url = await prometheus.start();
  const scraping = targetsFile ? `the targets in ${targetsFile}` : targets.join(", ");
  process.stdout.write(`prometheus on ${url} scraping ${scraping}\nconfig and data in ${values.dir}; Ctrl-C stops it\n`);
  const stop = () => {
    prometheus.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
