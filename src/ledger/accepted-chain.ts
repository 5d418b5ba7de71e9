import type { Logger } from "pino";
import type { BlockStore } from "../chain/store";
import type { Block, BlockId, Entry, EntryId } from "../chain/types";
import type { AcceptanceEvents } from "./acceptance-events";

export interface AcceptedChainDeps {
  readonly store: BlockStore;
  readonly events: AcceptanceEvents;
  readonly log: Logger;
  /** The store failed: this peer cannot go on (the process should exit). */
  readonly onStoreFailure: (err: Error) => void;
}

/**
 * The accepted chain: what the store holds, plus blocks the consensus accepted that are not
 * durable yet. Those are answered from memory until their write (group commit) completes; only
 * then are they published, so a listener or an acknowledged wait never sees a block a crash
 * could take back. Appends run one after another, in acceptance order.
 */
export class AcceptedChain {
  /** Accepted but not yet durable, by height. */
  private readonly notDurable = new Map<number, Block>();
  private readonly notDurableEntries = new Map<EntryId, number>();
  private writes: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(private readonly deps: AcceptedChainDeps) {}

  /** Set once a store write failed: nothing more is stored. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Durable accepted height (what a restart would find). */
  get durableHeight(): number {
    return this.deps.store.height();
  }

  genesis(): Block {
    return this.deps.store.genesis();
  }

  /** The last durable block. */
  lastDurable(): Block {
    return this.deps.store.lastBlock();
  }

  /** The accepted block at a height, durable or not yet. */
  at(height: number): Block | undefined {
    return this.deps.store.get(height) ?? this.notDurable.get(height);
  }

  /** An accepted block by id, durable or not yet. */
  byId(id: BlockId): Block | undefined {
    const stored = this.deps.store.getById(id);
    if (stored) return stored;
    for (const b of this.notDurable.values()) if (b.id === id) return b;
    return undefined;
  }

  /** Durable accepted blocks in [from, to]. */
  range(fromHeight: number, toHeight: number): Block[] {
    return this.deps.store.range(fromHeight, toHeight);
  }

  /** Height of the durable block holding the entry. */
  durableEntryHeight(id: EntryId): number | undefined {
    return this.deps.store.entryHeight(id);
  }

  /** Whether the entry is in an accepted block, durable or not yet. */
  isAccepted(id: EntryId): boolean {
    return this.deps.store.entryHeight(id) !== undefined || this.notDurableEntries.has(id);
  }

  /** Entries of accepted blocks not durable yet: until the store has them, the journal keeps them. */
  entriesNotDurable(): Entry[] {
    return [...this.notDurable.values()].flatMap((b) => b.entries);
  }

  /** Blocks the consensus accepted, in height order: visible at once, stored next, published once durable. */
  accept(blocks: readonly Block[]): void {
    for (const b of blocks) {
      this.notDurable.set(b.height, b);
      for (const e of b.entries) this.notDurableEntries.set(e.id, b.height);
    }
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      try {
        await this.deps.store.append(blocks);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      for (const b of blocks) {
        this.notDurable.delete(b.height);
        for (const e of b.entries) this.notDurableEntries.delete(e.id);
      }
      this.deps.events.publish(blocks);
    });
  }

  /**
   * Blocks accepted elsewhere (a sync), verified by the caller to continue the durable chain:
   * stored once every earlier acceptance is, then published. Rejects when the store refuses them.
   */
  async adopt(blocks: readonly Block[]): Promise<void> {
    await this.flush();
    if (blocks.length === 0) return;
    await this.deps.store.append(blocks);
    this.deps.events.publish(blocks);
  }

  /** Waits until every accepted block is durable (or the store failed). */
  flush(): Promise<void> {
    return this.writes;
  }

  private fail(err: Error): void {
    this.failure = err;
    this.deps.log.fatal({ err }, "could not store accepted blocks");
    this.deps.onStoreFailure(err);
  }
}
