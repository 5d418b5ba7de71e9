import { signedBlock } from "../chain/signing";
import type { Block, BlockId } from "../chain/types";
import { truthfulAnswer } from "./answer";
import type { AcceptedReport, Behaviour, BehaviourName, Gossip, GossipTarget, LedgerView, ProposalDraft } from "./behaviour";

/**
 * The protocol as written: truthful answers, one block per draft to every neighbour, the real
 * chain to syncing peers. The byzantine behaviours extend it and override only where they lie.
 */
export class HonestBehaviour implements Behaviour {
  readonly name: BehaviourName = "honest";
  readonly waitsItsTurn: boolean = true;

  constructor(protected readonly view: LedgerView) {}

  answer(fromHeight: number, toHeight: number, _asker?: string): (BlockId | undefined)[] | undefined {
    return truthfulAnswer(this.view, fromHeight, toHeight);
  }

  propose(draft: ProposalDraft): Block[] {
    return [
      signedBlock(
        { height: draft.parent.height + 1, parentId: draft.parent.id, timestampMs: draft.timestampMs, entries: draft.entries.map((e) => e.data) },
        draft.signer,
      ),
    ];
  }

  gossip(blocks: readonly Block[], neighbours: readonly GossipTarget[]): Gossip[] {
    return blocks.map((block) => ({ block, to: neighbours }));
  }

  serveRange(fromHeight: number, toHeight: number): Block[] | undefined {
    return this.view.acceptedRange(fromHeight, toHeight);
  }

  serveAccepted(height: number): AcceptedReport | undefined {
    const top = this.view.durableHeight;
    return {
      lastAcceptedHeight: top,
      lastAcceptedId: this.view.acceptedAt(top)!.id,
      idAtHeight: height <= top ? this.view.acceptedAt(height)?.id : undefined,
    };
  }

  claimedHeight(real: number): number {
    return real;
  }
}
