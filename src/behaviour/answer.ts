import type { BlockId } from "../chain/types";
import { MAX_QUERY_HEIGHTS } from "../wire/limits";
import type { LedgerView } from "./behaviour";

/**
 * The truthful answer to a query: the accepted id at each decided height, then the preferred
 * chain (a vote for a block is a vote for its undecided ancestors, so answers are consistent
 * chains); heights past the preferred tip get no opinion. At most MAX_QUERY_HEIGHTS heights.
 */
export function truthfulAnswer(view: LedgerView, fromHeight: number, toHeight: number): (BlockId | undefined)[] {
  const lastAccepted = view.lastAcceptedHeight;
  const top = Math.min(toHeight, fromHeight + MAX_QUERY_HEIGHTS - 1);
  const ids: (BlockId | undefined)[] = [];
  let chain: readonly { id: BlockId }[] | undefined;
  for (let h = fromHeight; h <= top; h++) {
    if (h <= lastAccepted) {
      ids.push(view.acceptedAt(h)?.id);
      continue;
    }
    chain ??= view.preferredChain();
    const block = chain[h - lastAccepted - 1];
    if (block === undefined) break;
    ids.push(block.id);
  }
  return ids;
}
