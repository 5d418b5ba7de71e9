/**
 * Summarises V8 .cpuprofile files (node --cpu-prof) of the peers: where CPU time goes, by
 * component (grpc-js, protobufjs, snowchain's own modules, node internals, GC) and by function,
 * self and inclusive. `bench --cpu-prof` prints it at the end; it also runs on its own:
 *
 *   node dist/scripts/bench/profile.js <dir-or-files...> [--top N] [--filter TEXT]
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Environment variable that tells profiled-peer.ts where to write its profile. */
export const PROFILE_DIR_ENV = "BENCH_CPU_PROF_DIR";
/** The CLI profiled-peer.ts runs (bench --cli); default: this build's dist/src/cli/main.js. */
export const PROFILE_CLI_ENV = "BENCH_PEER_CLI";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileSummary {
  readonly files: number;
  /** Sampled time, all profiles, µs. */
  readonly totalUs: number;
  /** Sampled time not idle, µs. */
  readonly busyUs: number;
  readonly byComponent: readonly { readonly name: string; readonly us: number }[];
  readonly bySelf: readonly { readonly name: string; readonly us: number }[];
  readonly byInclusive: readonly { readonly name: string; readonly us: number }[];
}

const SPECIAL = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

/** The component a frame belongs to: a package, a snowchain module, node internals, or V8. */
export function componentOf(f: CallFrame): string {
  if (SPECIAL.has(f.functionName) && f.url === "") return f.functionName;
  const url = f.url;
  if (url === "") return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf("/dist/");
  if (dist >= 0) return `snowchain ${url.slice(dist + "/dist/".length).replace(/\.js$/, "")}`;
  if (url.startsWith("node:")) return url.startsWith("node:internal/") ? `node:${url.slice("node:internal/".length).split("/")[0]}` : url;
  return url;
}

function frameName(f: CallFrame): string {
  const comp = componentOf(f);
  if (SPECIAL.has(f.functionName) && f.url === "") return f.functionName;
  const fn = f.functionName || "(anonymous)";
  return `${fn}  [${comp}${f.url ? `:${f.lineNumber + 1}` : ""}]`;
}

/** Self time per node id, µs: each sample's time delta goes to the node it sampled. */
function selfTimes(p: CpuProfile): Map<number, number> {
  const out = new Map<number, number>();
  if (p.samples && p.timeDeltas && p.samples.length === p.timeDeltas.length) {
    // timeDeltas[i] is the gap before sample i; the gap after it (i+1) is the time it stood for.
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i + 1] ?? 0;
      const id = p.samples[i]!;
      out.set(id, (out.get(id) ?? 0) + Math.max(0, dt));
    }
    return out;
  }
  const hits = p.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const per = hits > 0 ? (p.endTime - p.startTime) / hits : 0;
  for (const n of p.nodes) out.set(n.id, (n.hitCount ?? 0) * per);
  return out;
}

export function summarizeProfiles(files: readonly string[]): ProfileSummary {
  const comp = new Map<string, number>();
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const add = (m: Map<string, number>, k: string, v: number): void => {
    m.set(k, (m.get(k) ?? 0) + v);
  };
  for (const file of files) {
    const p = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
    const times = selfTimes(p);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const childIds = new Set(p.nodes.flatMap((n) => n.children ?? []));
    // Inclusive time: a depth-first walk; a frame already on the stack (recursion) is not counted twice.
    const subtotal = new Map<number, number>();
    const totalOf = (id: number): number => {
      const known = subtotal.get(id);
      if (known !== undefined) return known;
      const stack: [number, boolean][] = [[id, false]];
      while (stack.length > 0) {
        const [cur, done] = stack.pop()!;
        const node = byId.get(cur)!;
        if (done) {
          let t = times.get(cur) ?? 0;
          for (const c of node.children ?? []) t += subtotal.get(c) ?? 0;
          subtotal.set(cur, t);
        } else {
          stack.push([cur, true]);
          for (const c of node.children ?? []) if (!subtotal.has(c)) stack.push([c, false]);
        }
      }
      return subtotal.get(id)!;
    };
    for (const n of p.nodes) if (!childIds.has(n.id)) totalOf(n.id);
    const active = new Map<string, number>();
    const walk: [number, boolean][] = p.nodes.filter((n) => !childIds.has(n.id)).map((n) => [n.id, false]);
    while (walk.length > 0) {
      const [id, leaving] = walk.pop()!;
      const node = byId.get(id)!;
      const name = frameName(node.callFrame);
      if (leaving) {
        const c = active.get(name)! - 1;
        if (c === 0) active.delete(name);
        else active.set(name, c);
        continue;
      }
      const t = times.get(id) ?? 0;
      totalUs += t;
      if (node.callFrame.functionName === "(idle)") idleUs += t;
      add(comp, componentOf(node.callFrame), t);
      add(self, name, t);
      if (!active.has(name) && !SPECIAL.has(node.callFrame.functionName)) add(incl, name, subtotal.get(id) ?? 0);
      active.set(name, (active.get(name) ?? 0) + 1);
      walk.push([id, true]);
      for (const c of node.children ?? []) walk.push([c, false]);
    }
  }
  const sorted = (m: Map<string, number>): { name: string; us: number }[] =>
    [...m.entries()].map(([name, us]) => ({ name, us })).sort((x, y) => y.us - x.us);
  return {
    files: files.length,
    totalUs,
    busyUs: totalUs - idleUs,
    byComponent: sorted(comp).filter((x) => x.name !== "(idle)" && x.name !== "(root)"),
    bySelf: sorted(self).filter((x) => x.name !== "(idle)" && x.name !== "(root)"),
    byInclusive: sorted(incl),
  };
}

export function formatProfileSummary(s: ProfileSummary, top = 25, filter?: string): string {
  const share = (us: number): string => `${((100 * us) / Math.max(1, s.busyUs)).toFixed(1).padStart(5)} %`;
  const secs = (us: number): string => `${(us / 1e6).toFixed(1).padStart(7)} s`;
  const pick = (xs: readonly { name: string; us: number }[]): readonly { name: string; us: number }[] =>
    (filter ? xs.filter((x) => x.name.includes(filter)) : xs).slice(0, top);
  const lines = [
    `== cpu profile: ${s.files} peer profile(s), ${(s.busyUs / 1e6).toFixed(1)} s busy of ${(s.totalUs / 1e6).toFixed(1)} s sampled; shares are of busy time ==`,
    "  by component (self time):",
    ...s.byComponent.slice(0, top).map((x) => `  ${secs(x.us)} ${share(x.us)}  ${x.name}`),
    `  by function, self time${filter ? ` (matching "${filter}")` : ""}:`,
    ...pick(s.bySelf).map((x) => `  ${secs(x.us)} ${share(x.us)}  ${x.name}`),
    `  by function, inclusive time (callees included)${filter ? ` (matching "${filter}")` : ""}:`,
    ...pick(s.byInclusive).map((x) => `  ${secs(x.us)} ${share(x.us)}  ${x.name}`),
  ];
  return lines.join("\n");
}

/** The .cpuprofile files under `dir` (not recursive). */
export function profileFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(dir, f));
}

if (require.main === module) {
  const args = process.argv.slice(2);
  let top = 25;
  let filter: string | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--top") top = Number(args[++i]);
    else if (args[i] === "--filter") filter = args[++i];
    else inputs.push(args[i]!);
  }
  const files = inputs.flatMap((x) => (fs.statSync(x).isDirectory() ? profileFiles(x) : [x]));
  if (files.length === 0) {
    process.stderr.write("usage: node dist/scripts/bench/profile.js <dir-or-.cpuprofile...> [--top N] [--filter TEXT]\n");
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summarizeProfiles(files), top, filter)}\n`);
}
