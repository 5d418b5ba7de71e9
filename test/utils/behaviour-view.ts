import type { LedgerView } from "../../src/behaviour/behaviour";
import { genesisBlock } from "../../src/chain/genesis";
import { chainOn, childOf } from "./chain/blocks";

/**
 * A chain view over fixed blocks: accepted 0..2, and at heights 3 and 4 two candidates each
 * (a3 ← a4 preferred, b3 ← b4 the other branch).
 */
export function forkedView() {
  const genesis = genesisBlock("snowchain");
  const accepted = [genesis, ...chainOn(genesis, 2)];
  const a3 = childOf(accepted[2]!, { entries: [Buffer.from("a3")] });
  const b3 = childOf(accepted[2]!, { entries: [Buffer.from("b3")] });
  const a4 = childOf(a3, { entries: [Buffer.from("a4")] });
  const b4 = childOf(b3, { entries: [Buffer.from("b4")] });
  const all = new Map([...accepted, a3, b3, a4, b4].map((b) => [b.id, b]));
  const view: LedgerView = {
    lastAcceptedHeight: 2,
    durableHeight: 2,
    acceptedAt: (h) => accepted[h],
    acceptedRange: (f, t) => accepted.slice(f, t + 1),
    preferredChain: () => [a3, a4],
    candidatesAt: (h) => (h === 3 ? [a3.id, b3.id] : h === 4 ? [a4.id, b4.id] : []),
    blockById: (id) => all.get(id),
  };
  return { view, accepted, a3, b3, a4, b4 };
}
