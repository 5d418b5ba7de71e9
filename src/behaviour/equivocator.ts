import { signedBlock } from "../chain/signing";
import type { Block } from "../chain/types";
import type { BehaviourName, Gossip, GossipTarget, ProposalDraft } from "./behaviour";
import { HonestBehaviour } from "./honest";

/**
 * Equivocator: proposes two different blocks at every height it proposes at — the same entries,
 * timestamps a millisecond apart, both validly signed — and sends each to a different half of its
 * neighbours, whether or not it is its turn in the height's proposer order. Two signed blocks of
 * one proposer at one height are evidence against it.
 */
export class EquivocatorBehaviour extends HonestBehaviour {
  override readonly name: BehaviourName = "equivocator";
  override readonly waitsItsTurn = false;

  override propose(draft: ProposalDraft): Block[] {
    const fields = { height: draft.parent.height + 1, parentId: draft.parent.id, entries: draft.entries.map((e) => e.data) };
    return [signedBlock({ ...fields, timestampMs: draft.timestampMs }, draft.signer), signedBlock({ ...fields, timestampMs: draft.timestampMs + 1 }, draft.signer)];
  }

  override gossip(blocks: readonly Block[], neighbours: readonly GossipTarget[]): Gossip[] {
    if (blocks.length < 2) return super.gossip(blocks, neighbours);
    const half = Math.ceil(neighbours.length / 2);
    return [
      { block: blocks[0]!, to: neighbours.slice(0, half) },
      { block: blocks[1]!, to: neighbours.slice(half) },
    ];
  }
}
