/**
 * Writes grafana/dashboards/*.json, the files Grafana provisions, from the dashboards built in
 * this folder: `npm run dashboards` after any change here. The JSON is committed (provisioning and
 * the dashboard tests read it); test/unit/dashboards fails while it differs from what this writes.
 */
import { readdir, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { type Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { findRepoRoot } from "../../scripts/dashboards/prometheus";
import { overviewDashboard } from "./overview";
import { peerDashboard } from "./peer";

/** Every provisioned dashboard, by the file name Grafana reads it from. */
export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = Object.freeze({
  "overview.json": overviewDashboard,
  "peer.json": peerDashboard,
});

/** Where the dashboards go, relative to the repository root. */
export const DASHBOARDS_DIR = path.join("grafana", "dashboards");

/**
 * `value` as JSON with object keys sorted at every depth (array order kept): the file then depends
 * only on what the dashboard says, not on the order builder methods were called in, so a diff of
 * the JSON shows real changes only. Functions (the SDK's type markers) are dropped, as
 * JSON.stringify drops them.
 */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (isPlainObject(v) ? sortKeys(v) : v), 2)}\n`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** Each dashboard file's name and the text it must have. */
export function renderDashboards(): { file: string; text: string }[] {
  return Object.entries(DASHBOARDS).map(([file, build]) => ({ file, text: renderJson(build()) }));
}

/** Writes every dashboard and removes any other *.json there, which Grafana would still load. */
export async function writeDashboards(repoRoot: string): Promise<string[]> {
  const dir = path.join(repoRoot, DASHBOARDS_DIR);
  const rendered = renderDashboards();
  for (const f of await readdir(dir)) {
    if (f.endsWith(".json") && !(f in DASHBOARDS)) await rm(path.join(dir, f));
  }
  for (const { file, text } of rendered) await writeFile(path.join(dir, file), text);
  return rendered.map((r) => path.join(DASHBOARDS_DIR, r.file));
}

if (require.main === module) {
  findRepoRoot()
    .then(writeDashboards)
    .then((written) => process.stdout.write(`wrote ${written.join(", ")}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
