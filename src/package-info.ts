import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The package root (the directory holding snowchain's package.json), found by walking up from
 * `from`: the same code runs from src/ under jest and from dist/src/ once built.
 */
export function findPackageRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && readManifest(manifest).name === "snowchain") return dir;
    if (path.dirname(dir) === dir) throw new Error(`snowchain's package.json not found above ${from}`);
  }
}

/** The version in package.json: what `snowchain --version` prints. */
export function packageVersion(root: string = findPackageRoot()): string {
  return readManifest(path.join(root, "package.json")).version ?? "0.0.0";
}

function readManifest(file: string): { name?: string; version?: string } {
  return JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
}
