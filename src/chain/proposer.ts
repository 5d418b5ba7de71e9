import { createHash } from "node:crypto";

/**
 * This peer's place in the proposer order of a height: 0 for the first. Every peer ranks the
 * members it knows by sha-256(height, node id), so peers with the same view agree on the order
 * without talking. Used only to stagger proposals under contention (see node.ts): safety never
 * depends on it, since Snowball decides between whatever blocks are proposed.
 */
export function proposerRank(height: number, selfId: string, memberIds: readonly string[]): number {
  const score = (id: string): string => createHash("sha256").update(`${height}:${id}`).digest("hex");
  const own = score(selfId);
  let rank = 0;
  for (const id of memberIds) if (id !== selfId && score(id) < own) rank++;
  return rank;
}
