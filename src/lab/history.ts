/**
 * What a run records, one JSON object per line of results/<run>/history.jsonl. Times are ms since
 * the run started (the `run` event's `startedAt`). The checker is a pure function of these events
 * and nothing else, so a history can be checked again, or by hand, after the network is gone.
 */
import type { LabParams } from "./params";
import type { BackendName, FaultKind } from "./scenario";

export interface LinkState {
  readonly from: string;
  readonly to: string;
  readonly drop: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly duplicate: number;
}

export interface ChainBlock {
  readonly height: number;
  readonly id: string;
  readonly entries: readonly string[];
}

export type HistoryEvent =
  | {
      type: "run";
      t: 0;
      scenario: string;
      seed: number;
      backend: BackendName;
      params: LabParams;
      peers: string[];
      /** The peers the load goes to. */
      loadPeers: string[];
      /** Peers running a byzantine behaviour (the checker judges the others); absent: none. */
      byzantine?: { peers: string[]; behaviour: string };
      startedAt: string;
    }
  /** A peer's identity as its Status reports it, after each start: its key-derived node id and its human name. */
  | { type: "peer"; t: number; peer: string; nodeId: string; name: string; addr: string }
  | { type: "submit"; t: number; peer: string; entry: string }
  | { type: "ack"; t: number; peer: string; entry: string }
  | { type: "fail"; t: number; peer: string; entry: string; reason: string }
  /** A block as a peer's WatchBlocks delivered it to the lab. */
  | { type: "block"; t: number; peer: string; height: number; id: string; parent: string; proposer: string; ts: number; entries: string[] }
  | { type: "fault"; t: number; id: string; kind: FaultKind; label: string; phase: "start" | "end"; targets: string[] }
  /** The peer stopped answering anyone: killed, paused, stopped or removed by a scale-down. */
  | { type: "down"; t: number; peer: string; how: "killed" | "paused" | "stopped" | "removed" }
  | { type: "up"; t: number; peer: string }
  /** Every link fault in force from now on (an empty list: every link healed). */
  | { type: "links"; t: number; links: LinkState[] }
  | { type: "skew"; t: number; peer: string; skewMs: number }
  | { type: "load"; t: number; phase: "start" | "stop" }
  /** A live peer's whole accepted chain at the end of the run. */
  | { type: "final"; t: number; peer: string; chain: ChainBlock[] }
  | { type: "end"; t: number };

export type EventOf<T extends HistoryEvent["type"]> = Extract<HistoryEvent, { type: T }>;

/** The events of one type, in order. */
export function eventsOf<T extends HistoryEvent["type"]>(h: readonly HistoryEvent[], type: T): EventOf<T>[] {
  return h.filter((e): e is EventOf<T> => e.type === type);
}

export function runOf(h: readonly HistoryEvent[]): EventOf<"run"> {
  const run = h.find((e): e is EventOf<"run"> => e.type === "run");
  if (!run) throw new Error("history has no run event");
  return run;
}

export function endOf(h: readonly HistoryEvent[]): number {
  return h.reduce((m, e) => Math.max(m, e.t), 0);
}

export function parseHistory(text: string): HistoryEvent[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as HistoryEvent);
}

/** Per peer, its accepted height as the lab saw it over time: `heightAt(peer, t)`. */
export class Heights {
  private readonly byPeer = new Map<string, { t: number; height: number }[]>();

  constructor(h: readonly HistoryEvent[]) {
    for (const e of h) {
      if (e.type !== "block") continue;
      let list = this.byPeer.get(e.peer);
      if (!list) this.byPeer.set(e.peer, (list = []));
      const top = list.length > 0 ? list[list.length - 1]!.height : 0;
      if (e.height > top) list.push({ t: e.t, height: e.height });
    }
  }

  heightAt(peer: string, t: number): number {
    let h = 0;
    for (const p of this.byPeer.get(peer) ?? []) {
      if (p.t > t) break;
      h = p.height;
    }
    return h;
  }

  /** Times at which `peer` reached a new height. */
  times(peer: string): number[] {
    return (this.byPeer.get(peer) ?? []).map((p) => p.t);
  }

  series(peer: string): readonly { t: number; height: number }[] {
    return this.byPeer.get(peer) ?? [];
  }
}
