import { createHash } from "node:crypto";

/**
 * A node's key in the proposer order of a height: the order sorts members by this score, lowest
 * first. It depends on the height and the node id only, never on a block's content or its
 * parent: so no proposer can move itself up the order by grinding what it puts in a block (a
 * parent id is chosen by the parent's proposer, who could grind it to favour itself next).
 * avalanchego's Snowman++ windower seeds its proposer order by height for the same reason
 * (vms/proposervm/proposer/windower.go). Consensus uses it as the initial preference among
 * blocks no poll has chosen yet.
 */
export function proposerScore(height: number, nodeId: string): string {
  return createHash("sha256").update(`${height}:${nodeId}`).digest("hex");
}

/**
 * This peer's place in the proposer order of a height: 0 for the first. Every peer ranks the
 * members it knows by proposerScore, so peers with the same view agree on the order without
 * talking. Used to stagger proposals under contention (see node.ts): safety never depends on
 * it, since Snowball decides between whatever blocks are proposed.
 */
export function proposerRank(height: number, selfId: string, memberIds: readonly string[]): number {
  const own = proposerScore(height, selfId);
  let rank = 0;
  for (const id of memberIds) if (id !== selfId && proposerScore(height, id) < own) rank++;
  return rank;
}
