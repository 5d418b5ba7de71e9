import type { HistoryEvent, LinkState } from "../../../src/lab/history";
import { labParams, type LabParams } from "../../../src/lab/params";

/** A synthetic history for the checker's tests: a run of `peers` peers, then what the test adds. */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private readonly chains = new Map<string, { height: number; id: string; entries: string[] }[]>();

  constructor(
    readonly peers: string[],
    params: Partial<LabParams> = {},
    loadPeers: string[] = peers,
    byzantine?: { peers: string[]; behaviour: string },
  ) {
    this.events.push({
      type: "run",
      t: 0,
      scenario: "test",
      seed: 1,
      backend: "local",
      params: { ...labParams({}), heartbeatMs: 500, ...params },
      peers,
      loadPeers,
      ...(byzantine ? { byzantine } : {}),
      startedAt: new Date(0).toISOString(),
    });
    this.events.push({ type: "load", t: 0, phase: "start" });
  }

  /** Blocks every `everyMs` on `peers` (the same block id per height unless `fork` names a branch). */
  blocks(peers: readonly string[], fromMs: number, toMs: number, everyMs = 200, branch = ""): this {
    for (let t = fromMs; t < toMs; t += everyMs) {
      for (const p of peers) {
        const chain = this.chains.get(p) ?? [];
        const height = chain.length + 1;
        const id = `${branch}b${height}`;
        const entry = `e-${branch}${height}`;
        chain.push({ height, id, entries: [entry] });
        this.chains.set(p, chain);
        this.events.push({ type: "block", t, peer: p, height, id, parent: "", proposer: p, ts: t, entries: [entry] });
      }
    }
    return this;
  }

  /** Every entry of the blocks so far as submitted and acknowledged by `by`. */
  ackAll(by: string): this {
    const seen = new Set<string>();
    for (const c of this.chains.values()) for (const b of c) for (const e of b.entries) seen.add(e);
    for (const e of seen) this.events.push({ type: "submit", t: 0, peer: by, entry: e }, { type: "ack", t: 0, peer: by, entry: e });
    return this;
  }

  fault(id: string, kind: "kill" | "partition" | "pause", label: string, targets: string[], startMs: number, endMs: number): this {
    this.events.push({ type: "fault", t: startMs, id, kind, label, phase: "start", targets });
    this.events.push({ type: "fault", t: endMs, id, kind, label, phase: "end", targets });
    return this;
  }

  down(peers: readonly string[], atMs: number, upMs: number): this {
    for (const p of peers) this.events.push({ type: "down", t: atMs, peer: p, how: "killed" }, { type: "up", t: upMs, peer: p });
    return this;
  }

  /** Cuts every link between the groups from atMs to healMs. */
  partition(groups: string[][], atMs: number, healMs: number): this {
    const links: LinkState[] = [];
    groups.forEach((a, i) => groups.forEach((b, j) => i !== j && a.forEach((x) => b.forEach((y) => links.push({ from: x, to: y, drop: 1, delayMs: 0, jitterMs: 0, duplicate: 0 })))));
    this.events.push({ type: "links", t: atMs, links }, { type: "links", t: healMs, links: [] });
    return this;
  }

  /** Final chains as built, load stopped, end. */
  finish(atMs: number): HistoryEvent[] {
    this.events.push({ type: "load", t: atMs - 1, phase: "stop" });
    for (const [peer, chain] of this.chains) this.events.push({ type: "final", t: atMs, peer, chain });
    this.events.push({ type: "end", t: atMs });
    return [...this.events].sort((a, b) => a.t - b.t);
  }
}
