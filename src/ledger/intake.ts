import type { Logger } from "pino";
import type { Block, BlockId } from "../chain/types";
import type { NodeId } from "../consensus/types";
import type { Ledger } from "./ledger";

/** Ancestors fetched one by one for a block with an unknown parent before a sync takes over. */
export const MAX_PARENT_FETCH = 8;

export interface IntakeOptions {
  /** Most undecided heights a peer builds on: an orphan further above than this and MAX_PARENT_FETCH is a sync's job. */
  readonly maxProcessingHeights: number;
}

export interface IntakeDeps {
  readonly ledger: Ledger;
  readonly log: Logger;
  /** Whether a node is a member: only members are fetched from, and only their heights start a sync. */
  readonly isMember: (nodeId: NodeId) => boolean;
  /** Asks a member for a block by id; undefined when it does not have it. */
  readonly fetchBlock: (from: NodeId, id: BlockId) => Promise<Block | undefined>;
  /** A member is this far ahead: catch up by sync. */
  readonly behind: (height: number) => void;
  /** New undecided blocks: polls should run. */
  readonly kick: () => void;
}

/**
 * Blocks arriving from peers (queries, gossip, votes for blocks unknown here): validated and
 * added, with unknown parents fetched from the sender, or a sync when the sender is far ahead.
 */
export class BlockIntake {
  private readonly fetching = new Set<BlockId>();

  constructor(
    private readonly opts: IntakeOptions,
    private readonly deps: IntakeDeps,
  ) {}

  /** Blocks from a peer. Returns why blocks were refused (invalid), so a gossip can be answered with the reason. */
  receive(blocks: readonly Block[], from: NodeId | undefined): unknown[] {
    const { ledger } = this.deps;
    const refused: unknown[] = [];
    const { added, orphans } = ledger.learn(blocks, (block, err) => {
      refused.push(err);
      this.deps.log.warn({ peer: from, height: block.height, block: block.id, reason: (err as Error).message }, "invalid block refused");
    }, from);
    if (added.length > 0) this.deps.kick();
    for (const o of orphans) {
      if (o.height > ledger.lastAcceptedHeight + this.opts.maxProcessingHeights + MAX_PARENT_FETCH) {
        if (from !== undefined && this.deps.isMember(from)) this.deps.behind(o.height - 1);
      } else if (from) {
        this.fetch(o.parentId, from, MAX_PARENT_FETCH, o);
      }
    }
    return refused;
  }

  /** A member voted for a block unknown here: fetch it (and, while unknown, its ancestors) from that member. */
  fetch(id: BlockId, from: NodeId, depth = MAX_PARENT_FETCH, child?: Block): void {
    const { ledger } = this.deps;
    if (!this.deps.isMember(from) || depth <= 0 || this.fetching.has(id) || ledger.blockById(id)) return;
    this.fetching.add(id);
    this.deps
      .fetchBlock(from, id)
      .then((block) => {
        if (!block || block.id !== id) return;
        // Fetched because `from` voted for it or sent its child: counted against `from` too.
        const { orphans } = ledger.learn(child ? [block, child] : [block], undefined, from);
        this.deps.kick();
        if (orphans.some((o) => o.id === block.id)) this.fetch(block.parentId, from, depth - 1, block);
      })
      .catch((err: unknown) => this.deps.log.debug({ peer: from, block: id, err: (err as Error).message }, "fetch block failed"))
      .finally(() => this.fetching.delete(id));
  }
}
