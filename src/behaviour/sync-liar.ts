import type { Signer } from "../chain/keys";
import { signedBlock } from "../chain/signing";
import type { Block } from "../chain/types";
import type { AcceptedReport, BehaviourName, LedgerView } from "./behaviour";
import { HonestBehaviour } from "./honest";

/** How far above its real tip a sync-liar claims to be. */
export const SYNC_LIE_AHEAD = 1000;

/**
 * Sync-liar: claims a tip SYNC_LIE_AHEAD heights above its real one (in pings, handshakes,
 * answers and GetAccepted) and serves a fabricated chain above its real tip to peers that sync
 * from it: blocks valid in every way — signed, linked, well formed — that nobody accepted. A peer
 * that trusted one member's word would adopt them; a majority of the sample says otherwise.
 */
export class SyncLiarBehaviour extends HonestBehaviour {
  override readonly name: BehaviourName = "sync-liar";
  /** The fabricated chain above the real tip it was made on (rebuilt when the tip moves). */
  private fabricated: { tipId: string; blocks: Block[] } | undefined;

  constructor(
    view: LedgerView,
    private readonly signer: Signer,
  ) {
    super(view);
  }

  override claimedHeight(real: number): number {
    return real + SYNC_LIE_AHEAD;
  }

  override serveAccepted(height: number): AcceptedReport {
    const real = this.view.durableHeight;
    const top = real + SYNC_LIE_AHEAD;
    const at = (h: number): string | undefined => (h <= real ? this.view.acceptedAt(h)?.id : this.fake(h));
    return { lastAcceptedHeight: top, lastAcceptedId: at(top)!, idAtHeight: height <= top ? at(height) : undefined };
  }

  override serveRange(fromHeight: number, toHeight: number): Block[] {
    const real = this.view.durableHeight;
    const out = fromHeight <= real ? this.view.acceptedRange(fromHeight, Math.min(toHeight, real)) : [];
    for (let h = Math.max(fromHeight, real + 1); h <= Math.min(toHeight, real + SYNC_LIE_AHEAD); h++) out.push(this.chain()[h - real - 1]!);
    return out;
  }

  private fake(height: number): string | undefined {
    return this.chain()[height - this.view.durableHeight - 1]?.id;
  }

  private chain(): Block[] {
    const tip = this.view.acceptedAt(this.view.durableHeight)!;
    if (this.fabricated?.tipId !== tip.id) {
      const blocks: Block[] = [];
      let parent = tip;
      for (let i = 1; i <= SYNC_LIE_AHEAD; i++) {
        parent = signedBlock({ height: parent.height + 1, parentId: parent.id, timestampMs: parent.timestampMs, entries: [Buffer.from(`fabricated ${parent.height + 1} on ${tip.id}`)] }, this.signer);
        blocks.push(parent);
      }
      this.fabricated = { tipId: tip.id, blocks };
    }
    return this.fabricated.blocks;
  }
}
