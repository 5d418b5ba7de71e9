/**
 * Renders deploy/kubernetes with a real kustomize (`kubectl kustomize`) and checks objects against
 * the Kubernetes and Prometheus Operator schemas (validate-schemas.mjs), without a cluster.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { run } from "../utils/exec";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const DEPLOY_DIR = path.join(REPO_ROOT, "deploy", "kubernetes");
/** kubectl, or KUBECTL=/path/to/kubectl. */
export const KUBECTL = process.env.KUBECTL?.trim() || "kubectl";
/** kustomize v5 renders components, `labels` and name-changing patches as deploy/kubernetes uses them. */
const MIN_KUSTOMIZE_MAJOR = 5;

/** A Kubernetes object as rendered: plain JSON. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
};

/** The kustomize version inside kubectl; throws, saying how to get one, when there is none or too old a one. */
export async function kustomizeVersion(): Promise<string> {
  const r = await run(KUBECTL, ["version", "--client", "-o", "json"]);
  const version = r.code === 0 ? String((JSON.parse(r.stdout) as { kustomizeVersion?: string }).kustomizeVersion ?? "") : "";
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? NaN);
  if (!(major >= MIN_KUSTOMIZE_MAJOR)) {
    throw new Error(
      `${KUBECTL} ${version ? `has kustomize ${version}` : "did not answer"}: the manifest test needs kubectl with kustomize v${MIN_KUSTOMIZE_MAJOR} or later ` +
        `(KUBECTL=path chooses one; .ci/run installs one when the machine has none).\n${r.stderr.trim()}`,
    );
  }
  return version;
}

/** `kubectl kustomize DIR` as objects. */
export async function render(dir: string): Promise<K8sObject[]> {
  const r = await run(KUBECTL, ["kustomize", dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${path.relative(REPO_ROOT, dir) || dir} failed:\n${r.stderr.trim()}`);
  return parseAllDocuments(r.stdout).map((d) => {
    if (d.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${d.errors[0]!.message}`);
    return d.toJSON() as K8sObject;
  });
}

/**
 * Renders a kustomization made on the spot in a temporary directory (kustomize takes only relative
 * paths to other kustomizations, so REPO_ROOT-relative paths are rewritten from there).
 */
export async function renderKustomization(kustomization: { resources?: string[]; components?: string[] }): Promise<K8sObject[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-kustomize-"));
  try {
    const rel = (p: string) => path.relative(dir, path.join(REPO_ROOT, p));
    const lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization"];
    for (const key of ["resources", "components"] as const) {
      const list = kustomization[key];
      if (list) lines.push(`${key}:`, ...list.map((p) => `  - ${rel(p)}`));
    }
    fs.writeFileSync(path.join(dir, "kustomization.yaml"), `${lines.join("\n")}\n`);
    return await render(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface SchemaResult {
  kind: string;
  name: string;
  errors: string[];
}

/** Schema errors of every object of every rendering (one node process for all of them). */
export async function validateSchemas(renderings: Record<string, readonly unknown[]>): Promise<Record<string, SchemaResult[]>> {
  const r = await run(process.execPath, [path.join(__dirname, "validate-schemas.mjs")], { input: JSON.stringify(renderings) });
  if (r.code !== 0) throw new Error(`validate-schemas.mjs exited ${r.code}:\n${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as Record<string, SchemaResult[]>;
}

/** Runs one of the repository's node scripts; resolves with its exit code and stderr. */
export async function runNodeScript(script: string, args: readonly string[] = []): Promise<{ code: number; stderr: string }> {
  const r = await run(process.execPath, [path.join(REPO_ROOT, script), ...args]);
  return { code: r.code, stderr: r.stderr };
}
