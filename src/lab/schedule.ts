/**
 * From a scenario and a seed to a concrete schedule: every fault with its start, its end, the
 * peers it names and, for network faults, the directed links it cuts or degrades. Pure and
 * seeded, so `--seed` reproduces a run's faults exactly; everything a bad scenario can get wrong
 * about the network (a peer that does not exist, a fault this backend cannot do) fails here,
 * before anything starts.
 */
import { LabError } from "./errors";
import { quorumShare, type LabParams } from "./params";
import { seededRandom, type Random } from "./random";
import type { BackendName, BetweenSpec, FaultKind, FaultSpec, GroupsSpec, NemesisKind, Scenario, TargetSpec } from "./scenario";

/** What a network fault does to the messages a peer sends over one link. */
export interface LinkEffect {
  readonly drop: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly duplicate: number;
}

/** Messages `from` sends to `to` (its queries, gossip, handshakes): faults apply at the sender. */
export interface DirectedLink {
  readonly from: string;
  readonly to: string;
}

export interface PlannedFault {
  /** f1, f2, … in start order. */
  readonly id: string;
  readonly kind: FaultKind;
  readonly atMs: number;
  readonly endMs: number;
  /** What the report and the verdict call it: "kill peer-1", "partition [peer-0 peer-1] | [peer-2 …]". */
  readonly label: string;
  /** The peers it acts on (process faults, skew) or the senders and receivers of its links. */
  readonly targets: readonly string[];
  readonly links?: readonly DirectedLink[];
  readonly effect?: LinkEffect;
  readonly groups?: readonly (readonly string[])[];
  readonly skewMs?: number;
  readonly scaleTo?: number;
  /** restart and rolling-restart: how long each peer stays down. */
  readonly downtimeMs?: number;
}

/** The kinds a backend can do; everything else is refused before the run. */
export const BACKEND_KINDS: Readonly<Record<BackendName, readonly FaultKind[]>> = {
  local: ["kill", "pause", "restart", "rolling-restart", "partition", "loss", "delay", "duplicate", "clock-skew"],
  compose: ["kill", "pause", "restart", "rolling-restart", "partition", "loss", "delay", "duplicate", "clock-skew", "scale"],
};

/** The names the lab gives a network's peers: peer-0 … peer-(n-1) on every backend. */
export function peerNames(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `peer-${from + i}`);
}

const PARTITION: LinkEffect = { drop: 1, delayMs: 0, jitterMs: 0, duplicate: 0 };

/** The nemesis's faults: each kind with the parameters of the scenario library's fixed faults. */
function nemesisFault(kind: NemesisKind, at: number, duration: number, peers: number, random: Random): FaultSpec {
  const t = { at, duration };
  switch (kind) {
    case "kill":
    case "pause":
    case "restart":
      return { kind, ...t, target: "one" };
    case "isolate":
      return { kind: "partition", ...t, groups: "isolate-one", one_way: false };
    case "halves":
    case "majority-ring":
      return { kind: "partition", ...t, groups: kind, one_way: false };
    case "loss":
      return { kind, ...t, drop: 0.2, between: "all" };
    case "delay":
      return { kind, ...t, delay_ms: 100, jitter_ms: 50, between: "all" };
    case "duplicate":
      return { kind, ...t, share: 0.2, between: "all" };
    case "clock-skew":
      return { kind, ...t, target: "one", skew_ms: random.next() < 0.5 ? -20_000 : 20_000 };
    case "scale":
      return { kind, ...t, peers: peers + 2 };
  }
}

/** The scenario's faults, then the nemesis's, as specs in start order. */
export function faultSpecs(s: Scenario, random: Random): FaultSpec[] {
  const specs = [...s.faults];
  if (s.nemesis) {
    const n = s.nemesis;
    for (let at = n.start ?? n.interval; at + n.duration <= s.duration; at += n.interval) {
      const kind = n.mix[random.int(n.mix.length)]!;
      specs.push(nemesisFault(kind, at, n.duration, s.network.peers, random));
    }
  }
  return specs.sort((a, b) => a.at - b.at);
}

/** Resolves every fault of the scenario against peers named `names`. Throws LabError before anything runs. */
export function planFaults(s: Scenario, seed: number, params: LabParams): PlannedFault[] {
  const random = seededRandom(seed);
  const names = peerNames(s.network.peers);
  const allowed = BACKEND_KINDS[s.network.backend];
  checkLoadPeers(s, names);
  return faultSpecs(s, random).map((spec, i) => {
    if (!allowed.includes(spec.kind)) {
      throw new LabError("UNSUPPORTED", `faults: ${spec.kind} at ${spec.at / 1000}s: the ${s.network.backend} backend cannot ${spec.kind} (only ${allowed.join(", ")})`);
    }
    return planOne(`f${i + 1}`, spec, names, random, params);
  });
}

function checkLoadPeers(s: Scenario, names: readonly string[]): void {
  if (s.load.peers === "all") return;
  for (const p of s.load.peers) if (!names.includes(p)) throw noSuchPeer("load.peers", p, names);
}

function noSuchPeer(where: string, name: string, names: readonly string[]): LabError {
  return new LabError("BAD_TARGET", `${where}: ${name} does not exist; this network's peers are ${names[0]} … ${names[names.length - 1]}`);
}

function planOne(id: string, spec: FaultSpec, names: readonly string[], random: Random, params: LabParams): PlannedFault {
  const where = `faults: ${spec.kind} at ${spec.at / 1000}s`;
  const base = { id, kind: spec.kind, atMs: spec.at, endMs: spec.at + spec.duration };
  switch (spec.kind) {
    case "kill":
    case "pause":
    case "restart": {
      const targets = pickTargets(spec.target, names, random, params, where);
      return { ...base, targets, label: `${spec.kind} ${targets.join(" ")}`, ...(spec.kind === "restart" ? { downtimeMs: spec.duration } : {}) };
    }
    case "rolling-restart": {
      const targets = pickTargets(spec.target, names, random, params, where);
      return { ...base, targets, downtimeMs: spec.duration, label: `rolling restart ${targets.join(" ")}` };
    }
    case "clock-skew": {
      const targets = pickTargets(spec.target, names, random, params, where);
      const sign = spec.skew_ms >= 0 ? "+" : "";
      return { ...base, targets, skewMs: spec.skew_ms, label: `clock ${sign}${spec.skew_ms / 1000}s ${targets.join(" ")}` };
    }
    case "partition": {
      const groups = partitionGroups(spec.groups, names, random, where);
      const links = spec.groups === "majority-ring" ? ringCuts(groups[0]!) : crossLinks(groups, spec.one_way);
      const shown = spec.groups === "majority-ring" ? `majority ring ${groups[0]!.join(" ")}` : groups.map((g) => `[${g.join(" ")}]`).join(spec.one_way ? " -/-> " : " | ");
      return { ...base, groups, links, effect: PARTITION, targets: involved(links), label: `partition ${shown}` };
    }
    case "loss":
    case "delay":
    case "duplicate": {
      const groups = betweenGroups(spec.between, names, where);
      const links = groups.length === 1 ? allLinks(groups[0]!) : crossLinks(groups, false);
      const effect: LinkEffect =
        spec.kind === "loss"
          ? { drop: spec.drop, delayMs: 0, jitterMs: 0, duplicate: 0 }
          : spec.kind === "delay"
            ? { drop: 0, delayMs: spec.delay_ms, jitterMs: spec.jitter_ms, duplicate: 0 }
            : { drop: 0, delayMs: 0, jitterMs: 0, duplicate: spec.share };
      const what =
        spec.kind === "loss" ? `loss ${Math.round(spec.drop * 100)}%` : spec.kind === "delay" ? `delay ${spec.delay_ms}±${spec.jitter_ms}ms` : `duplicate ${Math.round(spec.share * 100)}%`;
      const scope = groups.length === 1 ? "all links" : groups.map((g) => `[${g.join(" ")}]`).join(" <-> ");
      return { ...base, groups, links, effect, targets: involved(links), label: `${what} ${scope}` };
    }
    case "scale": {
      const targets = spec.peers > names.length ? peerNames(spec.peers - names.length, names.length) : names.slice(spec.peers);
      return { ...base, targets, scaleTo: spec.peers, label: `scale ${names.length} → ${spec.peers}` };
    }
  }
}

/** Process-fault targets: names that must exist, or a pick from the seed. */
export function pickTargets(t: TargetSpec, names: readonly string[], random: Random, params: LabParams, where: string): string[] {
  if (Array.isArray(t)) {
    for (const name of t) if (!names.includes(name)) throw noSuchPeer(where, name, names);
    return [...new Set(t)];
  }
  const n = names.length;
  // The fewest peers whose answers still reach αC/K of the sample: ⌈n·αC/K⌉.
  const quorum = Math.ceil(n * quorumShare(params) - 1e-9);
  const count = (k: number, what: string): string[] => {
    if (k < 1 || k > n) throw new LabError("BAD_TARGET", `${where}: ${what} of ${n} peers is ${k} peers: nobody to hit`);
    return random.pick(names, k).sort(byIndex);
  };
  switch (t) {
    case "one":
      return count(1, "one");
    case "minority":
      return count(Math.floor((n - 1) / 2), "a minority");
    case "majority":
      return count(Math.floor(n / 2) + 1, "a majority");
    case "all-but-quorum":
      return count(n - quorum, `all but a quorum (⌈${n}·αC/K⌉ = ${quorum})`);
    case "beyond-quorum":
      return count(n - quorum + 1, `more than 1 − αC/K (quorum ⌈${n}·αC/K⌉ = ${quorum})`);
    case "all":
      return [...names];
    case "random":
      return count(1 + random.int(n), "a random pick");
    default:
      if (!names.includes(t)) throw noSuchPeer(where, t, names);
      return [t];
  }
}

function partitionGroups(g: GroupsSpec, names: readonly string[], random: Random, where: string): string[][] {
  if (Array.isArray(g)) return explicitGroups(g, names, where, true);
  if (names.length < 2) throw new LabError("BAD_TARGET", `${where}: a partition needs at least 2 peers`);
  const order = random.shuffle(names);
  switch (g) {
    case "halves": {
      const half = Math.floor(names.length / 2);
      return [order.slice(0, half).sort(byIndex), order.slice(half).sort(byIndex)];
    }
    case "isolate-one":
      return [[order[0]!], order.slice(1).sort(byIndex)];
    case "majority-ring":
      // One group, the ring order: each peer keeps only its nearest neighbours along it.
      return [order];
  }
}

/**
 * Explicit groups: peers must exist and appear once. A partition's groups need not cover every
 * peer: the ones left out keep every link.
 */
function explicitGroups(g: readonly (readonly string[])[], names: readonly string[], where: string, partition: boolean): string[][] {
  const seen = new Set<string>();
  for (const group of g) {
    for (const p of group) {
      if (!names.includes(p)) throw noSuchPeer(where, p, names);
      if (seen.has(p)) throw new LabError("BAD_TARGET", `${where}: ${p} is in two groups${partition ? " of the partition" : ""}`);
      seen.add(p);
    }
  }
  return g.map((x) => [...x]);
}

function betweenGroups(b: BetweenSpec, names: readonly string[], where: string): string[][] {
  return b === "all" ? [[...names]] : explicitGroups(b, names, where, false);
}

/** Every link from one group to another (only from the first group when one way). */
function crossLinks(groups: readonly (readonly string[])[], oneWay: boolean): DirectedLink[] {
  const links: DirectedLink[] = [];
  groups.forEach((from, i) =>
    groups.forEach((to, j) => {
      if (i === j || (oneWay && i !== 0)) return;
      for (const a of from) for (const b of to) links.push({ from: a, to: b });
    }),
  );
  return links;
}

function allLinks(peers: readonly string[]): DirectedLink[] {
  return peers.flatMap((a) => peers.filter((b) => b !== a).map((b) => ({ from: a, to: b })));
}

/**
 * Jepsen's majorities ring: along the ring each peer keeps its m nearest neighbours on each side,
 * m the least that makes itself and them a majority, so every peer sees a majority and no two
 * see the same one. The links cut are all the others.
 */
export function ringCuts(ring: readonly string[]): DirectedLink[] {
  const n = ring.length;
  const m = Math.ceil(Math.floor(n / 2) / 2);
  const links: DirectedLink[] = [];
  ring.forEach((a, i) =>
    ring.forEach((b, j) => {
      const d = Math.min(Math.abs(i - j), n - Math.abs(i - j));
      if (i !== j && d > m) links.push({ from: a, to: b });
    }),
  );
  return links;
}

function involved(links: readonly DirectedLink[]): string[] {
  return [...new Set(links.flatMap((l) => [l.from, l.to]))].sort(byIndex);
}

/** peer-2 before peer-10. */
export function byIndex(a: string, b: string): number {
  const na = Number(/(\d+)$/.exec(a)?.[1] ?? NaN);
  const nb = Number(/(\d+)$/.exec(b)?.[1] ?? NaN);
  return Number.isNaN(na) || Number.isNaN(nb) || na === nb ? a.localeCompare(b) : na - nb;
}
