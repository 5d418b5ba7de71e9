/**
 * `--net real` on the local backend, end to end: partition-halves with every peer in a network
 * namespace of its own and the partition as iptables drops. During the window a peer cannot open
 * a TCP connection to the other side (but can to its own side), the drop rules count packets, the
 * heal removes them, the verdict passes, and nothing of the network is left afterwards. Needs root
 * and `ip netns`; skipped, saying why, where they are missing.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LOCAL_TESTNET_DEFAULTS } from "../../src/testnet/local-testnet";
import { waitFor } from "../utils/wait";
import { ROOT, runLab } from "./run-lab";

/** Why this machine cannot run the test, or undefined when it can. */
function missing(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  if (spawnSync("ip", ["netns", "list"]).status !== 0) return "`ip netns list` fails";
  if (spawnSync("iptables-restore", ["--version"]).status !== 0) return "no iptables-restore (apt-get install iptables)";
  return undefined;
}

const why = missing();
if (why) process.stderr.write(`test:lab:real skipped: ${why} (--net real needs root, ip netns and iptables)\n`);
const realIt = why ? it.skip : it;
const skipped = why ? ` [skipped: ${why}]` : "";

const results = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-lab-real-"));
afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

function sh(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Lab namespaces and links of lab process `pid` that exist now. */
function leftovers(pid: number): string[] {
  const ns = sh("ip", ["netns", "list"]).split("\n").map((l) => l.split(" ")[0]!).filter((n) => n.startsWith(`snowlab-${pid}-`));
  const links = sh("ip", ["-o", "link", "show"]).split("\n").map((l) => (l.split(": ")[1] ?? "").split("@")[0]!).filter((n) => n === `snl${pid}` || n.startsWith(`snl${pid}-`));
  return [...ns, ...links];
}

/** Opens a TCP connection from inside namespace `ns`: "connected", "timeout" or the error code. */
function connectFrom(ns: string, addr: string): Promise<string> {
  const [host, port] = addr.split(":");
  const script = `const s = require("net").connect({ host: "${host}", port: ${port}, timeout: 1500 });
    s.on("connect", () => { console.log("connected"); process.exit(0); });
    s.on("timeout", () => { console.log("timeout"); process.exit(0); });
    s.on("error", (e) => { console.log(e.code); process.exit(0); });`;
  return new Promise((resolve) => {
    const c = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (b: Buffer) => (out += b.toString()));
    c.stderr.on("data", (b: Buffer) => (out += b.toString()));
    c.on("close", () => resolve(out.trim()));
  });
}

/** Packets the DROP rules of `chain` in namespace `ns` counted, and how many such rules there are. */
function drops(ns: string, chain: "INPUT" | "OUTPUT"): { rules: number; packets: number } {
  const rows = sh("ip", ["netns", "exec", ns, "iptables", "-L", chain, "-v", "-n", "-x"]).split("\n").filter((l) => /\sDROP\s/.test(l));
  return { rules: rows.length, packets: rows.reduce((n, l) => n + Number(l.trim().split(/\s+/)[0]), 0) };
}

interface Probes {
  error?: Error;
  across?: string;
  within?: string;
  afterHeal?: string;
  out?: { rules: number; packets: number };
  in?: { rules: number; packets: number };
}

describe("lab run --net real on the local backend", () => {
  realIt(`cuts partition-halves with real packet drops, passes, and leaves no namespace or link${skipped}`, async () => {
    const probes: Probes = {};
    let probing: Promise<void> | undefined;
    let healed: Promise<void> | undefined;
    const failed = (err: Error): void => void (probes.error ??= err);
    const r = await runLab(["scenarios/partition-halves.yaml", "--seed", "11", "--net", "real"], results, (out) => {
      const cut = /f1 start: partition \[([^\]]+)\] \| \[([^\]]+)\]/.exec(out);
      if (!cut) return;
      const sides = [cut[1]!.split(" "), cut[2]!.split(" ")] as const;
      probing ??= probe(sides, out, probes, false).catch(failed);
      if (/f1 end/.test(out)) healed ??= probing.then(() => probe(sides, out, probes, true)).catch(failed);
    });
    await probing;
    await healed;
    if (probes.error) throw probes.error;
    if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.out}`);
    expect(r.out).toMatch(/--net real: peers in network namespaces snowlab-\d+-0 … snowlab-\d+-4 on 198\.18\.\d+\.0\/24/);
    expect(r.out).toMatch(/verdict: pass/);
    // (a) the cut is in the kernel: no TCP connection across it, one within a side, drops counted.
    expect(probes.across).toBe("timeout");
    expect(probes.within).toBe("connected");
    expect(probes.out!.rules).toBe(3);
    expect(probes.in!.rules).toBe(3);
    expect(probes.out!.packets).toBeGreaterThan(0);
    // Healed at the window's end: the same connection opens.
    expect(probes.afterHeal).toBe("connected");
    // (b) the verdict: both sides stall, no fork, recovery after the heal.
    const verdict = JSON.parse(fs.readFileSync(path.join(r.dir, "verdict.json"), "utf8")) as { valid: unknown; checks: { name: string; valid: unknown }[] };
    expect(verdict.valid).toBe(true);
    // (c) nothing left: no namespace, no link, no state file.
    const pid = Number(/snowlab-(\d+)-0/.exec(r.out)![1]);
    expect(leftovers(pid)).toEqual([]);
    expect(fs.readdirSync(path.join(results, ".running"))).toEqual([]);
  });

  realIt(`lab clean removes the namespaces and links a dead lab left${skipped}`, async () => {
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    sh("ip", ["netns", "add", `snowlab-${gone}-0`]);
    sh("ip", ["link", "add", `snl${gone}`, "type", "bridge"]);
    sh("ip", ["link", "add", `snl${gone}-0`, "type", "veth", "peer", "name", "eth0", "netns", `snowlab-${gone}-0`]);
    try {
      const out = sh(process.execPath, [path.join(ROOT, "dist", "src", "cli", "main.js"), "lab", "clean", "--results", results]);
      expect(out).toContain(`lab clean: removed snl${gone}-0, snl${gone}, snowlab-${gone}-0 of lab process ${gone}`);
      expect(leftovers(gone)).toEqual([]);
    } finally {
      spawnSync("ip", ["link", "del", `snl${gone}`]);
      spawnSync("ip", ["netns", "del", `snowlab-${gone}-0`]);
    }
  });
});

/**
 * From inside the first peer of side A: a connection to a peer of side B (cut), one to its own
 * side (not cut), and its drop rules' counters; after the heal, the cut connection again.
 */
async function probe([a, b]: readonly [string[], string[]], out: string, probes: Probes, afterHeal: boolean): Promise<void> {
  const nsPid = Number(/snowlab-(\d+)-0/.exec(out)![1]);
  const index = (name: string): number => Number(/(\d+)$/.exec(name)![1]);
  const ns = (name: string): string => `snowlab-${nsPid}-${index(name)}`;
  const addr = (name: string): string => {
    const ip = /inet (\S+)\//.exec(sh("ip", ["-n", ns(name), "-o", "-4", "addr", "show", "dev", "eth0"]))![1]!;
    return `${ip}:${LOCAL_TESTNET_DEFAULTS.basePort + index(name)}`;
  };
  const from = ns(a[0]!);
  if (afterHeal) {
    // Rules go when the window ends; the line is printed right after.
    probes.afterHeal = await waitFor("a connection across the healed cut", async () => ((await connectFrom(from, addr(b[0]!))) === "connected" ? "connected" : undefined), 10_000, 100);
    return;
  }
  // "f1 start" is printed as the rules go in: wait until they are there.
  await waitFor("the cut's drop rules", () => (drops(from, "OUTPUT").rules > 0 ? true : undefined), 5_000, 20);
  probes.across = await connectFrom(from, addr(b[0]!));
  probes.within = await connectFrom(from, addr(a[1]!));
  probes.out = drops(from, "OUTPUT");
  probes.in = drops(from, "INPUT");
}
