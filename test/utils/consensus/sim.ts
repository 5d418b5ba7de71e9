import type { Block, BlockId } from "../../../src/chain/types";
import { Consensus, type AddResult } from "../../../src/consensus/consensus";
import { Engine, answerQuery } from "../../../src/consensus/engine";
import type { Network } from "../../../src/consensus/ports";
import type { NodeId, Query, QueryReply, SnowballParams } from "../../../src/consensus/types";
import { GENESIS, testBlock } from "./blocks";
import { ManualClock } from "./clock";
import { flushPromises } from "./deferred-network";
import { SeededRandom } from "./random";

/** honest: answers and polls. silent: polls but never answers. crashed: does nothing. */
export type SimMode = "honest" | "silent" | "crashed";

export interface SimOptions {
  readonly nodes: number;
  readonly params: SnowballParams;
  readonly seed: number;
  /** Nodes (taken from the end of the list) that never answer but still poll. @default 0 */
  readonly silent?: number;
  /** Nodes (taken before the silent ones) that neither answer nor poll. @default 0 */
  readonly crashed?: number;
  /** Fetch blocks that members voted for but this node does not know (the node's sync). @default true */
  readonly fetchUnknown?: boolean;
}

/** One simulated peer: a Consensus and an Engine wired to the simulated network. */
export class SimNode {
  readonly consensus: Consensus;
  readonly engine: Engine;
  /** Accepted block ids by height; genesis at 0. */
  readonly accepted: BlockId[] = [GENESIS.id];
  polls = 0;
  /** Polls whose lowest height had no αP quorum. */
  failedPolls = 0;
  preferenceChanges = 0;
  private readonly fetching = new Set<BlockId>();

  constructor(
    readonly id: NodeId,
    readonly mode: SimMode,
    private readonly sim: Simulation,
    params: SnowballParams,
    members: readonly NodeId[],
    seed: number,
    fetchUnknown: boolean,
  ) {
    this.consensus = new Consensus(params, GENESIS);
    const network: Network = { query: (to, query) => sim.deliverQuery(id, to, query) };
    this.engine = new Engine(params, {
      selfId: id,
      consensus: this.consensus,
      network,
      membership: { members: () => members },
      random: new SeededRandom(seed),
      clock: sim.clock,
      answerSelf: (query) => this.answer(query),
      onDecisions: (d) => {
        for (const b of d.accepted) this.accepted[b.height] = b.id;
        this.preferenceChanges += d.preferenceChanges;
      },
      onPoll: (r) => {
        this.polls++;
        if (!r.successful) this.failedPolls++;
      },
      onUnknownBlock: fetchUnknown ? (blockId, from) => this.fetch(blockId, from) : undefined,
      onError: (err) => sim.errors.push(err),
    });
  }

  get acceptedHeight(): number {
    return this.accepted.length - 1;
  }

  /** Adds a block if this node can (as the node would after the chain layer validated it). */
  learn(block: Block): AddResult {
    return this.consensus.add(block);
  }

  /** A query arrives: learn its blocks, take part in deciding them, answer. */
  receive(query: Query): QueryReply {
    let added = false;
    for (const b of [...query.ancestors, query.block]) added = this.learn(b) === "added" || added;
    if (added) this.engine.kick();
    return this.answer(query);
  }

  private answer(query: Query): QueryReply {
    return answerQuery(this.consensus, query, (h) => this.accepted[h]);
  }

  /** Asks the voter for the block; it sends the block with its undecided ancestors. */
  private fetch(blockId: BlockId, from: NodeId): void {
    if (this.fetching.has(blockId)) return;
    this.fetching.add(blockId);
    this.sim.send(() => {
      // The voter knows the block and its ancestors: it voted for that chain.
      const chain = this.sim.ancestry(blockId, this.consensus.lastAcceptedHeight);
      const answered = this.sim.node(from).mode === "honest" && this.sim.reachable(this.id, from);
      this.sim.send(() => {
        this.fetching.delete(blockId);
        if (!answered) return;
        let added = false;
        for (const b of chain) added = this.learn(b) === "added" || added;
        if (added) this.engine.kick();
      });
    });
  }
}

/**
 * Many nodes in one process over a network that delivers every message (query, answer, fetch)
 * as a separate step in a seeded random order: same seed, same run.
 */
export class Simulation {
  readonly random: SeededRandom;
  readonly clock = new ManualClock();
  readonly nodes: SimNode[] = [];
  readonly errors: unknown[] = [];
  /** Every block ever proposed, by id (the sim's stand-in for the chain layer's fetch). */
  readonly blocks = new Map<BlockId, Block>([[GENESIS.id, GENESIS]]);
  deliveries = 0;
  private readonly byId = new Map<NodeId, SimNode>();
  private pending: (() => void)[] = [];
  private honestNodes: SimNode[] | undefined;
  /** Node → side of a partition; messages between sides are lost. Empty: no partition. */
  private sides = new Map<NodeId, number>();

  constructor(opts: SimOptions) {
    this.random = new SeededRandom(opts.seed);
    const ids = Array.from({ length: opts.nodes }, (_, i) => `n${String(i).padStart(4, "0")}`);
    const silentFrom = opts.nodes - (opts.silent ?? 0);
    const crashedFrom = silentFrom - (opts.crashed ?? 0);
    ids.forEach((id, i) => {
      const mode: SimMode = i >= silentFrom ? "silent" : i >= crashedFrom ? "crashed" : "honest";
      const members = ids.filter((other) => other !== id);
      const node = new SimNode(id, mode, this, opts.params, members, this.random.int(2 ** 32), opts.fetchUnknown ?? true);
      this.nodes.push(node);
      this.byId.set(id, node);
    });
  }

  node(id: NodeId): SimNode {
    const n = this.byId.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  get honest(): readonly SimNode[] {
    return (this.honestNodes ??= this.nodes.filter((n) => n.mode === "honest"));
  }

  /** Queues one message; it runs when the network picks it. */
  send(deliver: () => void): void {
    this.pending.push(deliver);
  }

  /** Splits the network: from now on, messages between different groups are lost. */
  partition(...groups: readonly (readonly SimNode[])[]): void {
    this.sides = new Map(groups.flatMap((g, i) => g.map((n) => [n.id, i] as const)));
  }

  heal(): void {
    this.sides = new Map();
  }

  /** Whether a message between the two nodes gets through now. */
  reachable(a: NodeId, b: NodeId): boolean {
    return this.sides.get(a) === this.sides.get(b);
  }

  deliverQuery(from: NodeId, to: NodeId, query: Query): Promise<QueryReply> {
    return new Promise((resolve, reject) => {
      this.send(() => {
        const callee = this.node(to);
        if (callee.mode !== "honest" || !this.reachable(from, to)) {
          // Never answered: the real Network rejects when its timeout fires.
          this.send(() => reject(new Error(`query to ${to} timed out`)));
          return;
        }
        const reply = callee.receive(query);
        this.send(() => resolve(reply));
      });
    });
  }

  /**
   * A tree of conflicting proposals: `roots` blocks on genesis, and every block gets
   * `childrenPerBlock` conflicting children, up to `heights`. Each block is proposed by a random
   * honest node. Returns the blocks by height (index 0 = height 1).
   */
  propose(heights: number, roots: number, childrenPerBlock: number): Block[][] {
    const levels: Block[][] = [];
    let parents: Block[] = [GENESIS];
    for (let h = 1; h <= heights; h++) {
      const level: Block[] = [];
      parents.forEach((parent, p) => {
        const count = h === 1 ? roots : childrenPerBlock;
        for (let c = 0; c < count; c++) {
          const proposer = this.random.pick(this.honest).id;
          const block = testBlock(`h${h}-${p}-${c}`, h, parent.id, proposer);
          this.blocks.set(block.id, block);
          level.push(block);
        }
      });
      levels.push(level);
      parents = level;
    }
    return levels;
  }

  /**
   * What each node that polls knows at the start: its own proposals with their ancestors, and
   * each other block with probability `p` (if it also knows the parent), in a random order per height.
   */
  spread(levels: readonly Block[][], p: number): void {
    for (const node of this.nodes) {
      if (node.mode === "crashed") continue;
      const known = new Set<BlockId>();
      for (const level of levels) {
        for (const block of level) {
          if (block.proposer === node.id) for (const b of this.ancestry(block.id, 0)) known.add(b.id);
          else if (this.random.chance(p)) known.add(block.id);
        }
      }
      for (const level of levels) {
        for (const block of this.random.shuffle(level)) if (known.has(block.id)) node.learn(block);
      }
    }
  }

  /** `blockId` and its ancestors above `aboveHeight`, lowest first. */
  ancestry(blockId: BlockId, aboveHeight: number): Block[] {
    const chain: Block[] = [];
    for (let b = this.blocks.get(blockId); b !== undefined && b.height > aboveHeight; b = this.blocks.get(b.parentId)) {
      chain.unshift(b);
    }
    return chain;
  }

  /** Starts every node that polls. */
  start(): void {
    for (const node of this.nodes) if (node.mode !== "crashed") node.engine.kick();
  }

  /**
   * Delivers messages in random order until `done()` holds, the network is idle (no message in
   * flight after every promise settled), or `maxDeliveries` is reached.
   */
  async run(done: () => boolean, maxDeliveries: number): Promise<void> {
    const batch = 64;
    while (!done() && this.deliveries < maxDeliveries) {
      if (this.pending.length === 0) {
        await flushPromises();
        if (this.pending.length === 0) return;
        continue;
      }
      for (let i = 0; i < batch && this.pending.length > 0; i++) {
        const j = this.random.int(this.pending.length);
        const deliver = this.pending[j];
        this.pending[j] = this.pending[this.pending.length - 1];
        this.pending.pop();
        this.deliveries++;
        this.clock.advance(1);
        deliver();
      }
      await flushPromises();
    }
  }

  get idle(): boolean {
    return this.pending.length === 0 && this.nodes.every((n) => n.engine.inFlight === 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.engine.stop()));
  }

  /** Heights at which two nodes accepted different blocks (must stay empty). */
  conflicts(): number[] {
    const byHeight = new Map<number, Set<BlockId>>();
    for (const node of this.nodes) {
      node.accepted.forEach((id, h) => {
        let ids = byHeight.get(h);
        if (ids === undefined) byHeight.set(h, (ids = new Set()));
        ids.add(id);
      });
    }
    return [...byHeight].filter(([, ids]) => ids.size > 1).map(([h]) => h);
  }
}
