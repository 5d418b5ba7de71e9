import type { StatusResponse__Output } from "../wire/generated/snowchain/v1/StatusResponse";

/** What the testnet view knows of one peer at one moment. */
export interface PeerView {
  readonly nodeId: string;
  readonly addr: string;
  /** The process exists (it may be paused). */
  readonly running: boolean;
  readonly paused: boolean;
  /** How it exited, when it is not running ("code 1", "signal SIGKILL"). */
  readonly exit?: string;
  /** Its Status answer; undefined when it did not answer in time. */
  readonly status?: StatusResponse__Output;
}

const HEADER = ["NODE", "ADDRESS", "HEIGHT", "PREFERRED", "PROCESSING", "PEERS", "MEMPOOL", "STATE"] as const;

/**
 * One line per peer: node id, address, accepted height, preferred height (and how many heights
 * are in flight above the accepted one), processing blocks, live/known peers, mempool size.
 * A peer that does not answer shows `down` (or how its process ended).
 */
export function renderPeerTable(peers: readonly PeerView[]): string[] {
  const rows: string[][] = peers.map((p) => {
    const s = p.status;
    if (!s) {
      const state = !p.running ? `exited (${p.exit ?? "?"})` : p.paused ? "paused" : "down";
      return [p.nodeId, p.addr, "-", "-", "-", "-", "-", state];
    }
    const height = Number(s.height);
    const preferred = Number(s.preferred_height);
    const inFlight = Math.max(0, preferred - height);
    return [
      p.nodeId,
      p.addr,
      String(height),
      inFlight > 0 ? `${preferred} (+${inFlight})` : String(preferred),
      String(s.processing_blocks),
      `${s.live_peers}/${s.known_peers}`,
      String(s.mempool_size),
      s.syncing ? "syncing" : "ok",
    ];
  });
  const all = [[...HEADER], ...rows];
  const widths = HEADER.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  "));
}

/** A one-line summary under the table: the height range across answering peers. */
export function renderSummary(peers: readonly PeerView[]): string {
  const heights = peers.flatMap((p) => (p.status ? [Number(p.status.height)] : []));
  const up = heights.length;
  if (up === 0) return `0/${peers.length} peers answering`;
  const lo = Math.min(...heights);
  const hi = Math.max(...heights);
  return `${up}/${peers.length} peers answering, height ${lo === hi ? lo : `${lo}..${hi}`}`;
}
