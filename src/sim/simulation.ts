import { truthfulAnswer } from "../behaviour/answer";
import type { Behaviour } from "../behaviour/behaviour";
import { SilentBehaviour } from "../behaviour/liars";
import { proposerScore } from "../chain/proposer";
import type { Block, BlockId } from "../chain/types";
import { Consensus, type AddResult, type Decisions } from "../consensus/consensus";
import { Engine, type PollReport } from "../consensus/engine";
import type { Clock, Membership, Network } from "../consensus/ports";
import type { NodeId, Query, QueryReply, SnowballParams } from "../consensus/types";
import { Adversary, honestBehaviour, type ByzantineStrategy } from "./adversary";
import { SIM_GENESIS, simBlock } from "./blocks";
import type { DecisionBook } from "./book";
import { DEFAULT_LATENCY_MODEL, type Latency } from "./latency";
import type { Proposals } from "./proposals";
import { EventQueue, type Handler } from "./queue";
import { SeededRandom } from "./random";
import { SimView } from "./view";

export { SIM_GENESIS, simBlock } from "./blocks";
export type { Latency } from "./latency";

/**
 * honest: answers truthfully and polls. byzantine: polls honestly, answers by its strategy.
 * silent: polls but never answers. crashed: does nothing.
 */
export type SimMode = "honest" | "byzantine" | "silent" | "crashed";

/** 1–20 ms, and 3% of messages 20–250 ms: some answers arrive after a 100 ms timeout. */
export const DEFAULT_LATENCY: Latency = DEFAULT_LATENCY_MODEL.draw;

export interface SimOptions {
  readonly nodes: number;
  readonly params: SnowballParams;
  readonly seed: number;
  /** Nodes (taken from the end of the list) that never answer but still poll. @default 0 */
  readonly silent?: number;
  /** Nodes (taken before the silent ones) that neither answer nor poll. @default 0 */
  readonly crashed?: number;
  /** Nodes (taken before the crashed ones) that poll honestly and answer by `strategy`. @default 0 */
  readonly byzantine?: number;
  /** How the byzantine nodes answer. @default "balancing" */
  readonly strategy?: ByzantineStrategy;
  /** Share of messages lost, each way (a lost query or answer is a dropped vote, after the timeout). @default 0 */
  readonly drop?: number;
  /** Fetch blocks that members voted for but this node does not know (the node's sync). @default true */
  readonly fetchUnknown?: boolean;
  /** Delay of each message, each way. @default DEFAULT_LATENCY */
  readonly latency?: Latency;
  /**
   * A query not answered this long after it was sent is a dropped vote, as the real Network's
   * poll timeout makes it; the answer, if it comes later, is lost. @default 100
   */
  readonly timeoutMs?: number;
  /**
   * Each node's initial order (ConsensusOptions.initialOrder), by node index.
   * @default the proposer order of the height at every node, as the node passes it (chain/proposer.ts)
   */
  readonly initialOrder?: (nodeIndex: number) => (block: Block) => string;
}

const PROPOSER_ORDER = (b: Block): string => proposerScore(b.height, b.proposer);

/**
 * An initial order under which node i puts the blocks of side i mod `sides` of a split (see
 * Simulation.split) first: the common tie-break that would end a split as soon as nodes learn
 * each other's blocks is switched off, so only votes can end it, as when every node gained some
 * strength for its own side before it learnt the other one.
 */
export function ownSideFirst(sides: number): (nodeIndex: number) => (block: Block) => string {
  return (i) => {
    const own = `s${i % sides}-`;
    return (b) => (b.id.startsWith(own) ? "0" : "1") + PROPOSER_ORDER(b);
  };
}

export interface RunOptions {
  /** Stop once this holds; checked every few hundred events, so keep it cheap. */
  readonly until?: () => boolean;
  /** Stop before the first event later than this much simulated time from now. @default no limit */
  readonly forMs?: number;
}

export interface SimStats {
  readonly nodes: number;
  /** Tasks run: message deliveries, timeouts, fetches, engine tasks. */
  readonly events: number;
  readonly queries: number;
  /** Queries that counted as dropped votes: silent, crashed, partitioned or answered too late. */
  readonly timeouts: number;
  readonly polls: number;
  readonly failedPolls: number;
  /** Polls that moved a preference by their votes alone (SimNode.preferencePolls). */
  readonly preferencePolls: number;
  readonly simulatedMs: number;
}

const TIMEOUT = new Error("query timed out");

/**
 * A query on its way, and its answer as the engine sees it: one object for all of the query's
 * events. The Network port returns a promise, but the Engine only ever calls `then(onAnswer,
 * onFailure)` on it (once per poll that shares the query), so this stands in for one: the
 * callbacks run in the event that settles the query, at its simulated time. A native promise
 * per message, its reactions and the microtask turns between ticks were most of a 1,000-node
 * run's time; with this the whole simulation is plain synchronous event handling.
 */
class Flight {
  reply: QueryReply | undefined;
  private state: "pending" | "answered" | "failed" = "pending";
  private readonly onAnswer: ((reply: QueryReply) => unknown)[] = [];
  private readonly onFailure: ((err: unknown) => unknown)[] = [];

  constructor(
    private readonly sim: Simulation,
    readonly from: NodeId,
    readonly callee: SimNode,
    readonly query: Query,
    /** Delay of the answer, drawn when the query was sent. */
    readonly backMs: number,
    /** The answer comes before the deadline; else the timeout settles the query. */
    readonly inTime: boolean,
    readonly deadlineMs: number,
  ) {}

  then(onAnswer: (reply: QueryReply) => unknown, onFailure: (err: unknown) => unknown): void {
    if (this.state === "pending") {
      this.onAnswer.push(onAnswer);
      this.onFailure.push(onFailure);
    } else {
      // Settled already: still later, never inside the caller (as a promise would).
      this.sim.after(0, runTask, () => (this.state === "answered" ? onAnswer(this.reply as QueryReply) : onFailure(TIMEOUT)));
    }
  }

  answer(reply: QueryReply): void {
    if (this.state !== "pending") return;
    this.state = "answered";
    for (const f of this.onAnswer) f(reply);
  }

  fail(): void {
    if (this.state !== "pending") return;
    this.state = "failed";
    for (const f of this.onFailure) f(TIMEOUT);
  }
}

/** A fetch on its way. */
interface Fetch {
  readonly node: SimNode;
  readonly blockId: BlockId;
  readonly answered: boolean;
}

const runTask: Handler<() => void> = (task) => task();

// Module-scope aliases: inside jest's vm context every global lookup is slow, and the event
// loop below runs millions of times in the test suite.
const { max, round } = Math;

/**
 * The resolution of simulated time. Events of one tick run as one batch, in the order they were
 * scheduled: they happen at the same instant.
 */
export const TICK_MS = 0.1;

/** One simulated peer: a Consensus and an Engine wired to the simulated network, and the Behaviour that answers for it. */
export class SimNode {
  readonly consensus: Consensus;
  readonly engine: Engine;
  /** Accepted block ids by height; genesis at 0. */
  readonly accepted: BlockId[] = [SIM_GENESIS.id];
  readonly view: SimView;
  readonly behaviour: Behaviour;
  polls = 0;
  /** Polls whose lowest height had no αP quorum. */
  failedPolls = 0;
  /** Heights whose preference changed, summed over polls. */
  preferenceChanges = 0;
  /**
   * Polls that changed the preference at some height by their votes alone: those that accepted
   * nothing (an acceptance also moves preferences, by rejecting the losers' descendants).
   */
  preferencePolls = 0;
  /** Blocks asked for and not yet received. */
  readonly fetching = new Set<BlockId>();
  /** Polls it keeps in flight: polls ÷ this is its count of "rounds". */
  readonly engineConcurrency: number;
  /** Its row in the simulation's DecisionBook (honest nodes of a run that keeps one), else -1. */
  row = -1;
  /** The highest height it has learnt a block at (heights are learnt in order: a block needs its parent). */
  private learntTop = 0;
  /** Blocks accepted by the poll being recorded, booked when the engine reports the poll. */
  private acceptedNow: Block[] = [];

  constructor(
    readonly id: NodeId,
    readonly mode: SimMode,
    private readonly sim: Simulation,
    params: SnowballParams,
    seed: number,
    fetchUnknown: boolean,
    initialOrder: (block: Block) => string,
    behaviour: (view: SimView) => Behaviour,
  ) {
    this.consensus = new Consensus(params, SIM_GENESIS, { initialOrder });
    this.engineConcurrency = params.concurrentPolls;
    this.view = new SimView(this.consensus, this.accepted, sim.blocks);
    this.behaviour = behaviour(this.view);
    const network: Network = { query: (to, query) => sim.query(id, to, query) };
    this.engine = new Engine(params, {
      selfId: id,
      consensus: this.consensus,
      network,
      membership: sim.membership,
      random: new SeededRandom(seed),
      clock: sim.clock,
      // As node.ts answers its own polls: truthfully, whatever it tells others.
      answerSelf: (query) => ({
        fromHeight: query.fromHeight,
        preferredIds: truthfulAnswer(this.view, query.fromHeight, query.block.height),
        lastAcceptedHeight: this.consensus.lastAcceptedHeight,
      }),
      onDecisions: (d) => {
        this.view.changed();
        sim.decided(this, d);
      },
      onPoll: (r: PollReport) => {
        this.polls++;
        if (!r.successful) this.failedPolls++;
        for (const b of this.acceptedNow) sim.booked(this, b);
        this.acceptedNow = [];
      },
      onUnknownBlock: fetchUnknown ? (blockId, from) => sim.fetch(this, blockId, from) : undefined,
      onError: (err) => sim.errors.push(err),
      // Engine tasks go through the event queue at the current time.
      schedule: (task) => sim.after(0, runTask, task),
    });
  }

  get acceptedHeight(): number {
    return this.accepted.length - 1;
  }

  /** Adds a block if this node can (as the node would after the chain layer validated it). */
  learn(block: Block): AddResult {
    const result = this.consensus.add(block);
    if (result === "added") {
      this.view.changed();
      if (block.height > this.learntTop) {
        this.learntTop = block.height;
        this.sim.startedHeight(this, block.height);
      }
    }
    return result;
  }

  /** Adds blocks (ancestors first) and polls if any was new. */
  learnAll(blocks: readonly Block[]): void {
    let added = false;
    for (const b of blocks) added = this.learn(b) === "added" || added;
    if (added) {
      this.sim.preferenceMayHaveMoved(this);
      this.engine.kick();
    }
  }

  /**
   * A query arrives from `from`: learn its blocks, take part in deciding them, answer as the
   * behaviour says (undefined: no answer at all), as the peer's message service does.
   */
  receive(query: Query, from: NodeId): QueryReply | undefined {
    let added = false;
    for (const b of query.ancestors) added = this.learn(b) === "added" || added;
    if (this.learn(query.block) === "added" || added) {
      this.sim.preferenceMayHaveMoved(this);
      this.engine.kick();
    }
    if (this.sim.observesQueries) this.behaviour.observeQuery?.(from, query.block.id);
    const ids = this.behaviour.answer(query.fromHeight, query.block.height, from);
    if (ids === undefined) return undefined;
    return { fromHeight: query.fromHeight, preferredIds: ids, lastAcceptedHeight: this.consensus.lastAcceptedHeight };
  }

  /** The engine recorded a poll that accepted `block`: booked when the poll is reported (onPoll, with its count). */
  acceptedByPoll(block: Block): void {
    this.accepted[block.height] = block.id;
    this.acceptedNow.push(block);
  }
}

/**
 * Many nodes in one process, over a network whose messages are events ordered by simulated time,
 * each delayed by a seeded random latency: same seed, same run. Polls finish out of the order
 * they were issued, and a query that is not answered by its deadline is a dropped vote (the
 * timeout event comes later than the answers). Pure: no timers, no I/O.
 *
 * Memory is O(N) (one list of node ids shared by every engine's sample) and a poll costs
 * O(K) plus its queries; each query is one object (Flight), answered by one event.
 */
export class Simulation {
  readonly random: SeededRandom;
  readonly nodes: SimNode[] = [];
  readonly errors: unknown[] = [];
  /** Every block ever proposed, by id (the sim's stand-in for the chain layer's fetch). */
  readonly blocks = new Map<BlockId, Block>([[SIM_GENESIS.id, SIM_GENESIS]]);
  /** Messages delivered (queries, answers, fetched blocks). */
  deliveries = 0;
  private tick = 0;
  readonly clock: Clock = { now: () => this.now };
  /** Every node's id; each engine samples from it (Membership.includesSelf). */
  readonly membership: Membership;
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly queue = new EventQueue();
  private readonly latency: Latency;
  private readonly timeoutMs: number;
  private readonly drop: number;
  private readonly adversary: Adversary;
  private events = 0;
  private queries = 0;
  private timeouts = 0;
  private honestNodes: SimNode[] | undefined;
  /** Honest nodes that accepted each height. */
  private readonly acceptedCount: number[] = [];
  /** The first block accepted at each height, by anyone, and heights where another one was. */
  private readonly firstAccepted: BlockId[] = [SIM_GENESIS.id];
  private readonly conflicting = new Set<number>();
  /** Node → side of a partition; messages between sides are lost. Empty: no partition. */
  private sides = new Map<NodeId, number>();
  /** Heights decided one after the other (decideInTurn). */
  private proposals: Proposals | undefined;
  private book: DecisionBook | undefined;
  /** Full information: the tip each honest node was last reported to the adversary with. */
  private readonly reportedTip = new Map<SimNode, BlockId>();

  constructor(opts: SimOptions) {
    this.random = new SeededRandom(opts.seed);
    this.latency = opts.latency ?? DEFAULT_LATENCY;
    this.timeoutMs = opts.timeoutMs ?? 100;
    this.drop = opts.drop ?? 0;
    this.adversary = new Adversary(opts.strategy ?? "balancing");
    const ids = Array.from({ length: opts.nodes }, (_, i) => `n${String(i).padStart(4, "0")}`);
    this.membership = { members: () => ids, includesSelf: true };
    const silentFrom = opts.nodes - (opts.silent ?? 0);
    const crashedFrom = silentFrom - (opts.crashed ?? 0);
    const byzantineFrom = crashedFrom - (opts.byzantine ?? 0);
    const initialOrder = opts.initialOrder ?? (() => PROPOSER_ORDER);
    ids.forEach((id, i) => {
      const mode: SimMode = i >= silentFrom ? "silent" : i >= crashedFrom ? "crashed" : i >= byzantineFrom ? "byzantine" : "honest";
      const seed = this.random.int(2 ** 32);
      const behaviour =
        mode === "byzantine"
          ? (view: SimView) => {
              const own = new SeededRandom(seed ^ 0x5bd1e995);
              return this.adversary.behaviour(view, () => own.next());
            }
          : mode === "honest"
            ? honestBehaviour
            : (view: SimView) => new SilentBehaviour(view);
      const node = new SimNode(id, mode, this, opts.params, seed, opts.fetchUnknown ?? true, initialOrder(i), behaviour);
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

  /** Simulated milliseconds since the start. */
  get now(): number {
    return this.tick * TICK_MS;
  }

  /**
   * Runs `handler(arg)` `delayMs` from now, rounded to whole ticks: 0 runs it in the current
   * tick after the events already due, any other delay at least one tick later.
   */
  after<T>(delayMs: number, handler: Handler<T>, arg: T): void {
    this.queue.push(this.tick + (delayMs <= 0 ? 0 : max(1, round(delayMs / TICK_MS))), handler, arg);
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

  /**
   * The Network port of node `from`. The latencies of both legs, and whether each is lost, are
   * drawn when the query is sent, so an answer that would come after the deadline is not
   * scheduled at all: the timeout event settles the query instead (and the callee still learns
   * the query's blocks). The Engine reads the result as a promise (see Flight).
   */
  query(from: NodeId, to: NodeId, query: Query): Promise<QueryReply> {
    this.queries++;
    const callee = this.node(to);
    const there = this.latency(this.random);
    const backMs = this.latency(this.random);
    // 0: both legs arrive, 1: the query is lost, 2: the answer is.
    const lost = this.drop === 0 ? 0 : this.random.chance(this.drop) ? 1 : this.random.chance(this.drop) ? 2 : 0;
    const delivered = callee.mode !== "crashed" && lost !== 1 && this.reachable(from, to);
    const answers = callee.mode === "honest" || callee.mode === "byzantine";
    const inTime = delivered && answers && lost === 0 && there + backMs < this.timeoutMs;
    const flight = new Flight(this, from, callee, query, backMs, inTime, this.now + this.timeoutMs);
    if (delivered) this.after(there, this.arrive, flight);
    if (!inTime) this.after(this.timeoutMs, this.timeOut, flight);
    return flight as unknown as Promise<QueryReply>;
  }

  // The handlers of the events, one function each for the whole run.

  private readonly arrive: Handler<Flight> = (flight) => {
    this.deliveries++;
    flight.reply = flight.callee.receive(flight.query, flight.from);
    if (!flight.inTime) return;
    // A member that said nothing after all: the deadline settles it.
    if (flight.reply === undefined) this.after(flight.deadlineMs - this.now, this.timeOut, flight);
    else this.after(flight.backMs, this.answer, flight);
  };

  private readonly answer: Handler<Flight> = (flight) => {
    this.deliveries++;
    flight.answer(flight.reply as QueryReply);
  };

  private readonly timeOut: Handler<Flight> = (flight) => {
    this.timeouts++;
    flight.fail();
  };

  private readonly fetched: Handler<Fetch> = ({ node, blockId, answered }) => {
    node.fetching.delete(blockId);
    if (!answered) return;
    this.deliveries++;
    node.learnAll(this.ancestry(blockId, node.consensus.lastAcceptedHeight));
  };

  /** `node` asks the voter for a block it voted for; the voter sends it with its undecided ancestors. */
  fetch(node: SimNode, blockId: BlockId, from: NodeId): void {
    if (node.fetching.has(blockId)) return;
    node.fetching.add(blockId);
    const mode = this.node(from).mode;
    const answered = (mode === "honest" || mode === "byzantine") && this.reachable(node.id, from);
    const roundTrip = this.latency(this.random) + this.latency(this.random);
    this.after(roundTrip, this.fetched, { node, blockId, answered });
  }

  /** A node's engine decided: keep the books the checks read in O(1). */
  decided(node: SimNode, d: Decisions): void {
    node.preferenceChanges += d.preferenceChanges;
    if (d.preferenceChanges > 0 && d.accepted.length === 0) node.preferencePolls++;
    if (node.row >= 0) this.book?.changedPreferences(d.preferenceChanges);
    for (const b of d.accepted) {
      node.acceptedByPoll(b);
      const first = this.firstAccepted[b.height];
      if (first === undefined) this.firstAccepted[b.height] = b.id;
      else if (first !== b.id) this.conflicting.add(b.height);
      if (node.mode === "honest") {
        this.acceptedCount[b.height] = (this.acceptedCount[b.height] ?? 0) + 1;
        if (this.allHonestAccepted(b.height)) this.adversary.decided(b.height);
      }
      const kids = this.proposals?.childrenOf(b) ?? [];
      if (kids.length > 0) {
        this.book?.proposed(b.height + 1, this.now);
        // Not inside the engine's recording: it kicks new polls.
        this.after(0, runTask, () => node.learnAll(kids));
      }
    }
    this.preferenceMayHaveMoved(node);
  }

  /** Books an honest node's acceptance once the engine reported the poll that made it (SimNode.acceptedByPoll). */
  booked(node: SimNode, block: Block): void {
    if (node.row >= 0) this.book?.accept(node.row, block, node.polls, node.polls / node.engineConcurrency, this.now);
  }

  /** A node learnt its first block at `height`. */
  startedHeight(node: SimNode, height: number): void {
    if (node.row >= 0) this.book?.start(node.row, height, node.polls, node.polls / node.engineConcurrency);
  }

  /** Full information: tell the adversary an honest node's preference if it moved. */
  preferenceMayHaveMoved(node: SimNode): void {
    if (!this.adversary.fullInformation || node.mode !== "honest") return;
    const chain = node.view.preferredChain();
    const tip = chain[chain.length - 1];
    if (tip === undefined || this.reportedTip.get(node) === tip.id) return;
    this.reportedTip.set(node, tip.id);
    this.adversary.observeHonest(node.id, chain);
  }

  /** Whether byzantine nodes learn from the queries they get (the pooled or own-estimate balancers). */
  get observesQueries(): boolean {
    return this.adversary.observesQueries;
  }

  /**
   * Decides the heights of `proposals` one after the other: every node that polls learns the
   * candidates of height 1 now, and those of h + 1 once it accepted h; `book` keeps the
   * figures of the honest nodes (numbered in order). Call before start().
   */
  decideInTurn(proposals: Proposals, book: DecisionBook): void {
    this.proposals = proposals;
    this.book = book;
    proposals.onBlock = (b) => void this.register(b);
    let row = 0;
    for (const node of this.nodes) if (node.mode === "honest") node.row = row++;
    const first = proposals.childrenOf(SIM_GENESIS);
    for (const node of this.nodes) if (node.mode !== "crashed") for (const b of first) node.learn(b);
  }

  /** Whether every honest node accepted a block at `height` (O(1)). */
  allHonestAccepted(height: number): boolean {
    return (this.acceptedCount[height] ?? 0) === this.honest.length;
  }

  /**
   * A tree of conflicting proposals: `roots` blocks on genesis, and every block gets
   * `childrenPerBlock` conflicting children, up to `heights`. Each block is proposed by a random
   * honest node. Returns the blocks by height (index 0 = height 1).
   */
  propose(heights: number, roots: number, childrenPerBlock: number): Block[][] {
    const levels: Block[][] = [];
    let parents: Block[] = [SIM_GENESIS];
    for (let h = 1; h <= heights; h++) {
      const level: Block[] = [];
      parents.forEach((parent, p) => {
        const count = h === 1 ? roots : childrenPerBlock;
        for (let c = 0; c < count; c++) {
          level.push(this.register(simBlock(`h${h}-${p}-${c}`, h, parent.id, this.random.pick(this.honest).id)));
        }
      });
      levels.push(level);
      parents = level;
    }
    return levels;
  }

  /**
   * A split by construction: `sides` conflicting chains of `heights` blocks on genesis, node i on
   * side i mod `sides`, each block proposed by an honest node of its side, and each node (but
   * crashed ones) knowing only its own side's chain at first. Every height has `sides`
   * candidates and the initial preferences split evenly: only polls (and what queries carry)
   * can bring the nodes together. Returns the chains, side by side.
   */
  split(heights: number, sides = 2): Block[][] {
    const chains: Block[][] = [];
    for (let s = 0; s < sides; s++) {
      const members = this.nodes.filter((n, i) => n.mode === "honest" && i % sides === s);
      const chain: Block[] = [];
      let parent = SIM_GENESIS;
      for (let h = 1; h <= heights; h++) {
        parent = this.register(simBlock(`s${s}-h${h}`, h, parent.id, this.random.pick(members).id));
        chain.push(parent);
      }
      chains.push(chain);
    }
    this.nodes.forEach((node, i) => {
      if (node.mode !== "crashed") for (const b of chains[i % sides]) node.learn(b);
    });
    return chains;
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

  /** Makes a block fetchable (every block a node learns should be registered). */
  register(block: Block): Block {
    this.blocks.set(block.id, block);
    return block;
  }

  /** `blockId` and its ancestors above `aboveHeight`, lowest first. */
  ancestry(blockId: BlockId, aboveHeight: number): Block[] {
    const chain: Block[] = [];
    for (let b = this.blocks.get(blockId); b !== undefined && b.height > aboveHeight; b = this.blocks.get(b.parentId)) {
      chain.push(b);
    }
    return chain.reverse();
  }

  /** Starts every node that polls. */
  start(): void {
    for (const node of this.nodes) if (node.mode !== "crashed") node.engine.kick();
  }

  /**
   * Runs events in time order until `until` holds (checked between ticks), nothing is left to
   * run (an idle network), or the next event is past `forMs`. Every event, answers included,
   * is handled synchronously (see Flight): the promise is for callers that await a run.
   */
  async run(opts: RunOptions = {}): Promise<void> {
    this.runSync(opts);
  }

  /** run(), without the promise. */
  runSync(opts: RunOptions = {}): void {
    const end = opts.forMs === undefined ? Infinity : this.tick + opts.forMs / TICK_MS;
    for (;;) {
      if (opts.until?.() === true) return;
      const tick = this.queue.peek();
      if (tick === undefined || tick > end) return;
      this.tick = tick;
      this.events += this.queue.runNext();
    }
  }

  /** Nothing in flight: no message, no poll. */
  get idle(): boolean {
    return this.queue.size === 0 && this.nodes.every((n) => n.engine.inFlight === 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.engine.stop()));
  }

  /** Heights at which two nodes accepted different blocks (must stay empty). */
  conflicts(): number[] {
    return [...this.conflicting].sort((a, b) => a - b);
  }

  stats(): SimStats {
    let polls = 0;
    let failedPolls = 0;
    let preferencePolls = 0;
    for (const n of this.nodes) {
      polls += n.polls;
      failedPolls += n.failedPolls;
      preferencePolls += n.preferencePolls;
    }
    return {
      nodes: this.nodes.length,
      events: this.events,
      queries: this.queries,
      timeouts: this.timeouts,
      polls,
      failedPolls,
      preferencePolls,
      simulatedMs: this.now,
    };
  }
}
