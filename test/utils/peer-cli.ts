/**
 * The `snowchain` CLI run inside a peer's container (Compose replica or Swarm task), its JSON
 * answers, and the check every container suite makes of a network: identical chains holding
 * each submitted entry exactly once.
 */
import { waitFor } from "./exec";

/** The address the CLI calls inside a peer container. */
export const LOCAL_PEER = "127.0.0.1:50051";

/** `snowchain chain --json`: one object per accepted block (src/cli/format.ts BlockJson). */
export interface BlockJson {
  height: number;
  id: string;
  parentId: string;
  proposer: string;
  entries: { id: string; data: string; encoding: "utf8" | "base64" }[];
}

/** `snowchain status --json` (src/cli/format.ts StatusJson), the fields the tests read. */
export interface StatusJson {
  /** Derived from the peer's key. */
  nodeId: string;
  /** NODE_ID: the task slot's name in Swarm, the container's host name in Compose. */
  name: string;
  address: string;
  height: number;
  livePeers: number;
  knownPeers: number;
  syncing: boolean;
}

/** `snowchain submit --json` (src/cli/format.ts SubmitJson). */
export interface SubmitJson {
  id: string;
  accepted: boolean;
  height: number | null;
}

/** Runs `snowchain ARGS` inside one peer's container and resolves with its stdout. */
export type PeerExec = (args: readonly string[], timeoutMs: number) => Promise<string>;

export async function peerStatus(exec: PeerExec): Promise<StatusJson> {
  return JSON.parse(await exec(["status", "--addr", LOCAL_PEER, "--json"], 30000)) as StatusJson;
}

export async function peerChain(exec: PeerExec): Promise<BlockJson[]> {
  return JSON.parse(await exec(["chain", "--addr", LOCAL_PEER, "--json"], 60000)) as BlockJson[];
}

/** The arguments of `snowchain submit --wait` to the container's own peer. */
export function submitArgs(text: string, waitSeconds: number): string[] {
  return ["submit", "--addr", LOCAL_PEER, "--wait", "--timeout", String(waitSeconds), "--json", text];
}

/** The last line of `snowchain submit --json --wait` output; throws unless accepted. */
export function parseAccepted(out: string, via: string): SubmitJson {
  const result = JSON.parse(out.trim().split("\n").pop() ?? "") as SubmitJson;
  if (!result.accepted) throw new Error(`submit via ${via}: not accepted: ${out}`);
  return result;
}

/** The key identifying a chain: its (height, block id) sequence. */
export function chainKey(chain: readonly BlockJson[]): string {
  return chain.map((b) => `${b.height}:${b.id}`).join(",");
}

/** How often each text appears as an entry in a chain. */
export function entryCounts(chain: readonly BlockJson[], texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(texts.map((t) => [t, 0]));
  for (const b of chain) {
    for (const e of b.entries) {
      if (e.encoding === "utf8" && counts.has(e.data)) counts.set(e.data, counts.get(e.data)! + 1);
    }
  }
  return counts;
}

/**
 * Whether the chains (one per peer, named by `labels`) are identical and hold every text exactly
 * once, with what is wrong otherwise: a check for the suites' waitFor.
 */
export function converged(chains: readonly BlockJson[][], labels: readonly string[], texts: readonly string[]): { ok: boolean; detail: string } {
  const keys = new Set(chains.map(chainKey));
  const problems: string[] = [];
  chains.forEach((chain, i) => {
    const wrong = [...entryCounts(chain, texts)].filter(([, n]) => n !== 1);
    const top = chain.length > 0 ? chain[chain.length - 1]!.height : -1;
    if (wrong.length > 0) problems.push(`${labels[i]} (height ${top}): ${wrong.map(([tx, n]) => `"${tx}"×${n}`).join(" ")}`);
  });
  return {
    ok: problems.length === 0 && keys.size === 1,
    detail: `${keys.size} distinct chains; ${problems.join("; ") || "every entry once everywhere"}`,
  };
}

/**
 * Waits until every one of `peers` has the same chain holding every one of `texts` exactly once
 * (`why` says at what point of the scenario).
 */
export async function waitConverged<P>(
  peers: readonly P[],
  label: (peer: P) => string,
  chain: (peer: P) => Promise<BlockJson[]>,
  texts: readonly string[],
  why: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    `${why}: identical chains holding every entry exactly once on ${peers.map(label).join(",")}`,
    async () => converged(await Promise.all(peers.map(chain)), peers.map(label), texts),
    timeoutMs,
    1000,
  );
}
