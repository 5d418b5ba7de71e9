import type { Block, BlockId } from "../chain/types";
import { ErrorCode, SnowchainError } from "../errors";
import { validateSnowballParams } from "./params";
import { Snowball } from "./snowball";
import type { SnowballParams } from "./types";

/** What one recorded poll decided. */
export interface Decisions {
  /** Newly accepted blocks, lowest height first. */
  readonly accepted: readonly Block[];
  /** Blocks dropped from the tree: conflicting siblings of accepted blocks and their descendants. */
  readonly rejected: readonly Block[];
  /** Heights whose preference changed during the call (an accepted height counts if it was not the preference). */
  readonly preferenceChanges: number;
}

export type AddResult = "added" | "known" | "unknown-parent" | "stale";

export interface ConsensusOptions {
  /**
   * A block's key in the initial preference among blocks no poll has chosen yet at its height
   * (lowest first, ties broken by the lower block id; see Snowball.add). It must not be
   * something a proposer controls by choosing the block's content, which a block id is (one
   * hash per try: an id starting 0000 takes well under a second to grind). The node passes
   * `(b) => proposerScore(b.height, b.proposer)` (chain/proposer.ts): the proposer's rank in
   * the height's proposer order, seeded by the height and not by the parent id, which the
   * parent's proposer chose (Snowman++'s windower seeds by height too).
   * @default every block alike, so the lowest block id wins: grindable, for tests only
   */
  readonly initialOrder?: (block: Block) => string;
}

const NOTHING: Decisions = Object.freeze({ accepted: [], rejected: [], preferenceChanges: 0 });

/**
 * The processing tree: every block above the last accepted one that could still be accepted,
 * with one Snowball per undecided height over all candidates at that height.
 *
 * Invariant: every processing block's parent is the last accepted block or a processing block,
 * so the undecided heights are exactly lastAcceptedHeight+1 .. lastAcceptedHeight+instances.size.
 */
export class Consensus {
  private readonly params: SnowballParams;
  private lastId: BlockId;
  private lastHeight: number;
  private readonly blocks = new Map<BlockId, Block>();
  /** Parent id → processing children; the last accepted block's entry holds the lowest height. */
  private readonly children = new Map<BlockId, Set<BlockId>>();
  private readonly instances = new Map<number, Snowball>();
  /**
   * Blocks rejected above the last accepted height, so a late descendant reads as "stale", not
   * "unknown-parent". At or below it, the height alone says stale, so those are forgotten.
   */
  private readonly rejectedAt = new Map<number, Set<BlockId>>();
  private readonly initialOrder: ((block: Block) => string) | undefined;

  constructor(
    params: SnowballParams,
    lastAccepted: { readonly id: BlockId; readonly height: number },
    options: ConsensusOptions = {},
  ) {
    this.params = validateSnowballParams(params);
    this.lastId = lastAccepted.id;
    this.lastHeight = lastAccepted.height;
    this.initialOrder = options.initialOrder;
  }

  get lastAcceptedId(): BlockId {
    return this.lastId;
  }

  get lastAcceptedHeight(): number {
    return this.lastHeight;
  }

  /**
   * Adds a block that the chain layer has validated. Its parent must be the last accepted block
   * or a processing block.
   * @throws SnowchainError INVALID_BLOCK when its height is not its parent's height + 1.
   */
  add(block: Block): AddResult {
    if (this.blocks.has(block.id)) return "known";
    const height = block.height;
    if (height <= this.lastHeight || this.wasRejected(height, block.id)) return "stale";
    const parent = this.blocks.get(block.parentId);
    if (parent !== undefined) {
      if (parent.height + 1 !== height) throw badHeight(block, parent.height);
    } else if (block.parentId === this.lastId) {
      if (this.lastHeight + 1 !== height) throw badHeight(block, this.lastHeight);
    } else if (height === this.lastHeight + 1 || this.wasRejected(height - 1, block.parentId)) {
      // Its parent conflicts with the accepted block at that height, or descends from one that does.
      return "stale";
    } else {
      return "unknown-parent";
    }
    this.blocks.set(block.id, block);
    let siblings = this.children.get(block.parentId);
    if (siblings === undefined) this.children.set(block.parentId, (siblings = new Set()));
    siblings.add(block.id);
    let instance = this.instances.get(height);
    if (instance === undefined) this.instances.set(height, (instance = new Snowball(this.params)));
    instance.add(block.id, this.initialOrder?.(block));
    return "added";
  }

  /** Whether `id` is a processing block (neither accepted nor rejected yet). */
  has(id: BlockId): boolean {
    return this.blocks.has(id);
  }

  /** A processing block. */
  get(id: BlockId): Block | undefined {
    return this.blocks.get(id);
  }

  /** The preferred candidate at an undecided height. */
  preferenceAt(height: number): BlockId | undefined {
    return this.instances.get(height)?.preference;
  }

  /**
   * The preference at each height from lastAccepted+1 upward, as long as each one extends the
   * previous. A vote for a block is a vote for its ancestors, so only a consistent chain can be
   * polled as one; its last element is the preferred tip.
   */
  preferredChain(): Block[] {
    const chain: Block[] = [];
    let parentId = this.lastId;
    for (let h = this.lastHeight + 1; ; h++) {
      const id = this.instances.get(h)?.preference;
      const block = id === undefined ? undefined : this.blocks.get(id);
      if (block === undefined || block.parentId !== parentId) return chain;
      chain.push(block);
      parentId = block.id;
    }
  }

  undecided(): { from: number; to: number } | undefined {
    if (this.instances.size === 0) return undefined;
    return { from: this.lastHeight + 1, to: this.lastHeight + this.instances.size };
  }

  processingCount(): number {
    return this.blocks.size;
  }

  confidenceAt(height: number): number {
    return this.instances.get(height)?.confidence ?? 0;
  }

  /** Preference strength of a processing block (successful polls it won); 0 when unknown. */
  strengthOf(id: BlockId): number {
    const block = this.blocks.get(id);
    return block === undefined ? 0 : (this.instances.get(block.height)?.strength(id) ?? 0);
  }

  /** The processing candidates at an undecided height (none at a decided one). */
  candidatesAt(height: number): BlockId[] {
    const instance = this.instances.get(height);
    return instance === undefined ? [] : [...instance.choices()];
  }

  /**
   * Applies one poll's tallies (index h - fromHeight), then accepts upward from the last
   * accepted height while each next height is final and extends it. Heights already decided
   * (a concurrent poll finished first) are ignored.
   *
   * A height the poll did not cover (above its top), and every height above the first one
   * without an αP quorum, counts as an unsuccessful poll: its confidence restarts. This is
   * avalanchego's falter path (snow/consensus/snowman/topological.go vote(): blocks not voted
   * for get shouldFalter, and a vote for a block is a vote for its ancestors, so nothing above a
   * height without αP can have αP either; here a reply lists one id per height, so a liar's
   * reply could break that, and the rule is applied explicitly). avalanchego defers the reset
   * (RecordUnsuccessfulPoll just before the instance's next RecordPoll) because it would
   * otherwise walk every descendant; resetting at once is equivalent for decisions, since
   * confidence is only read by the next recorded poll and a reset never clears `finalized`,
   * and we have one instance per undecided height, so it costs one step per height. It only
   * makes confidenceAt() show the reset as soon as it is due.
   */
  recordPoll(fromHeight: number, tallies: readonly ReadonlyMap<BlockId, number>[]): Decisions {
    /** Preference at each height before this call, for every height whose poll was recorded. */
    const before = new Map<number, BlockId | undefined>();
    let quorumBelow = true;
    for (let height = Math.max(fromHeight, this.lastHeight + 1); ; height++) {
      const instance = this.instances.get(height);
      if (instance === undefined) break; // heights are contiguous: none above either
      const tally = tallies[height - fromHeight];
      if (quorumBelow && tally !== undefined) {
        before.set(height, instance.preference);
        quorumBelow = instance.recordPoll(tally);
      } else {
        instance.recordUnsuccessfulPoll();
      }
    }

    const accepted: Block[] = [];
    const rejected: Block[] = [];
    for (;;) {
      const height = this.lastHeight + 1;
      const instance = this.instances.get(height);
      const id = instance?.decision;
      if (instance === undefined || id === undefined) break;
      const block = this.blocks.get(id) as Block;
      // Always true by the invariant (the lowest height's candidates are children of the last
      // accepted block); checked so a broken invariant stalls instead of forking.
      if (block.parentId !== this.lastId) break;
      this.instances.delete(height);
      this.blocks.delete(id);
      this.children.delete(this.lastId);
      this.lastId = id;
      this.lastHeight = height;
      this.rejectedAt.delete(height);
      accepted.push(block);
      const losers: BlockId[] = [];
      for (const choice of instance.choices()) if (choice !== id) losers.push(choice);
      this.reject(losers, before, rejected);
    }

    let preferenceChanges = 0;
    const firstAccepted = this.lastHeight - accepted.length + 1;
    for (const [height, previous] of before) {
      const now =
        height <= this.lastHeight ? accepted[height - firstAccepted]?.id : this.instances.get(height)?.preference;
      if (now !== undefined && now !== previous) preferenceChanges++;
    }
    if (accepted.length === 0 && rejected.length === 0 && preferenceChanges === 0) return NOTHING;
    return { accepted, rejected, preferenceChanges };
  }

  /**
   * Removes `roots` (siblings of a just-accepted block, at the last accepted height) and all
   * their processing descendants, breadth first so `out` stays in height order.
   */
  private reject(roots: BlockId[], before: Map<number, BlockId | undefined>, out: Block[]): void {
    const queue = roots;
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i];
      const block = this.blocks.get(id);
      if (block === undefined) continue;
      this.blocks.delete(id);
      out.push(block);
      if (block.height > this.lastHeight) {
        let ids = this.rejectedAt.get(block.height);
        if (ids === undefined) this.rejectedAt.set(block.height, (ids = new Set()));
        ids.add(id);
        const instance = this.instances.get(block.height);
        if (instance !== undefined) {
          if (!before.has(block.height)) before.set(block.height, instance.preference);
          instance.remove(id);
          // Every candidate above an emptied height descended from a removed one: contiguity holds.
          if (instance.size === 0) this.instances.delete(block.height);
        }
      }
      const kids = this.children.get(id);
      if (kids !== undefined) {
        this.children.delete(id);
        for (const kid of kids) queue.push(kid);
      }
    }
  }

  private wasRejected(height: number, id: BlockId): boolean {
    return this.rejectedAt.get(height)?.has(id) ?? false;
  }
}

function badHeight(block: Block, parentHeight: number): SnowchainError {
  return new SnowchainError(
    ErrorCode.INVALID_BLOCK,
    `block ${block.id} at height ${block.height} does not extend its parent at height ${parentHeight}`,
    { blockId: block.id, height: block.height, parentId: block.parentId, parentHeight },
  );
}
