import { truthfulAnswer } from "../behaviour/answer";
import { MAX_QUERY_HEIGHTS } from "../wire/limits";
import type { Behaviour } from "../behaviour/behaviour";
import type { Block, BlockId } from "../chain/types";
import { Consensus, type Decisions } from "../consensus/consensus";
import { validateSnowballParams } from "../consensus/params";
import type { SnowballParams } from "../consensus/types";
import { Adversary, honestBehaviour, type ByzantineStrategy } from "./adversary";
import { SIM_GENESIS } from "./blocks";
import { DecisionBook } from "./book";
import { Proposals } from "./proposals";
import { SeededRandom } from "./random";
import { SimView } from "./view";

/**
 * How a poll's K draws over the members are made.
 * - multinomial: the draws that land on members whose answer does not depend on who asks
 *   (honest and silent ones) are one multinomial draw over how many of them give each answer;
 *   the draws that land on liars are made one by one. Exact in distribution, O(candidates).
 * - draws: every draw one by one, each distinct member asked once (what the Engine does). O(K).
 * With message loss every draw is made one by one either way: a member drawn twice is one
 * message, lost or not as a whole.
 */
export type Sampler = "multinomial" | "draws";

export interface LockstepOptions {
  readonly nodes: number;
  readonly params: SnowballParams;
  readonly seed: number;
  /** Heights to decide, one after the other (see Proposals). */
  readonly heights: number;
  readonly candidates: number;
  /** Initial shares of the candidates among the honest nodes at every height. */
  readonly split: readonly number[];
  /** Byzantine nodes: the last ones. */
  readonly byzantine: number;
  readonly strategy: ByzantineStrategy;
  /** Share of messages lost, each way. */
  readonly drop: number;
  /** Simulated duration of one round. */
  readonly roundMs: number;
  /** @default "multinomial" */
  readonly sampler?: Sampler;
}

export interface LockstepStats {
  readonly rounds: number;
  readonly simulatedMs: number;
  /** Polls of every node, byzantine ones included (their own polls are honest). */
  readonly polls: number;
}

/** A node's role: honest, byzantine with an answer, or one that never answers (and need not poll). */
const HONEST = 0;
const LIAR = 1;
const SILENT = 2;

/** No answer: silent, lost, or the member had no opinion. */
const NONE = -1;

/**
 * How the members whose answer does not depend on the asker (honest and silent ones) vote at
 * one height this round, and the multinomial draw over them as conditional binomials: category
 * c (a block, or no vote) gets Binomial(draws left, counts[c] / members not in categories
 * before c), whose cumulative table is built once per number of draws left.
 */
interface Distribution {
  readonly codes: number[];
  readonly counts: number[];
  /** Per category: members in it and the categories after it. */
  readonly left: number[];
  /** Per category, per draws left: the cumulative Binomial(draws, counts[c] / left[c]) (built when first needed). */
  readonly tables: (Float64Array | undefined)[][];
}

const { pow } = Math;

/**
 * The synchronous model of the papers (Amores-Sesar et al.; Kniep et al.): in every round each
 * node makes `concurrentPolls` polls, every answer reflects the members' state at the start of
 * the round, and each node's polls are recorded in the order it made them at the round's end.
 * Far cheaper than the event-driven Simulation for large N: no message is an object, an honest
 * member's answer is computed once a round, and votes are counted in typed arrays.
 *
 * What runs is the peers' code: Consensus (and its Snowball instances) records every poll, the
 * honest answer is HonestBehaviour's (truthfulAnswer, as node.ts answers itself), and byzantine
 * nodes answer through the peers' Behaviours (adversary.ts). What the simulator does itself is
 * what the Engine does around them: sample K members with replacement (the node itself may be
 * drawn; a member drawn m times counts m times), count the votes per height, record polls in
 * issue order. Blocks are not sent with queries: every node learns all candidates of a height
 * when it accepts the height below (Proposals), so a node has one undecided height at a time.
 */
export class LockstepSimulation {
  readonly ids: readonly string[];
  readonly book: DecisionBook;
  private readonly params: SnowballParams;
  private readonly n: number;
  private readonly consensus: Consensus[] = [];
  private readonly behaviours: Behaviour[] = [];
  private readonly views: SimView[] = [];
  private readonly accepted: BlockId[][] = [];
  private readonly kind: Uint8Array;
  /** Node index → its row in the book (honest nodes), else -1. */
  private readonly honestRow: Int32Array;
  private readonly pollsMade: Float64Array;
  private readonly random: SeededRandom;
  private readonly proposals: Proposals;
  private readonly adversary: Adversary;
  /** Probability that a query or its answer is lost. */
  private readonly loss: number;
  /** Liars are nodes liarFrom.. (none when liarFrom = n). */
  private readonly liarFrom: number;
  private readonly multinomial: boolean;

  // Blocks as small integers, so votes are counted in an array.
  private readonly codeOf = new Map<BlockId, number>();
  private readonly idOf: BlockId[] = [];
  private readonly heightOf: number[] = [];
  private counts = new Int32Array(256);
  /** Codes counted in the poll being made (touchedCount of them). */
  private touched = new Int32Array(256);
  private touchedCount = 0;

  // This round: the height each polling node polls (0: it does not poll) and its preferred tip.
  private readonly height: Int32Array;
  private readonly tip: (BlockId | undefined)[];
  /** Full information: the tip each honest node was last reported to the adversary with. */
  private readonly reportedTip: (BlockId | undefined)[];

  /** Honest and silent nodes' votes at the start of this round, per height from snapLow (snapshot). */
  private readonly snapVotes: Int32Array[] = [];
  private snapLow = 0;
  /** This round's Distribution per height, computed when a node first polls there. */
  private readonly distributions = new Map<number, Distribution>();

  // Liars already asked in the current poll (a member drawn twice is asked once).
  private readonly askedIn: Int32Array;
  private readonly askedVote: Int32Array;
  private serial = 0;

  /** Tallies of this round's polls, in the order they were made; reused round after round. */
  private readonly slots: [Map<BlockId, number>][] = [];
  /** The codes each slot's map holds votes for, and the height they are at. */
  private readonly slotCodes: number[][] = [];
  private readonly slotHeight: number[] = [];
  private round = 0;
  private polls = 0;

  constructor(private readonly opts: LockstepOptions) {
    this.params = validateSnowballParams(opts.params);
    const n = (this.n = opts.nodes);
    this.random = new SeededRandom(opts.seed);
    this.loss = 1 - (1 - opts.drop) ** 2;
    this.adversary = new Adversary(opts.strategy);
    const byzantineFrom = n - opts.byzantine;
    this.liarFrom = opts.strategy === "silent" ? n : byzantineFrom;
    this.multinomial = (opts.sampler ?? "multinomial") === "multinomial" && this.loss === 0;
    this.kind = new Uint8Array(n);
    this.honestRow = new Int32Array(n).fill(-1);
    this.ids = Array.from({ length: n }, (_, i) => `n${i}`);
    let rows = 0;
    for (let i = 0; i < n; i++) {
      if (i < byzantineFrom) this.honestRow[i] = rows++;
      else this.kind[i] = i >= this.liarFrom ? LIAR : SILENT;
    }
    this.book = new DecisionBook(rows, opts.heights);
    this.proposals = new Proposals(this.random.int(2 ** 32), n, (i) => i < byzantineFrom, opts.candidates, opts.split, opts.heights);
    this.proposals.onBlock = (b) => this.register(b);
    this.register(SIM_GENESIS);
    for (let i = 0; i < n; i++) {
      const consensus = new Consensus(this.params, SIM_GENESIS, { initialOrder: this.proposals.initialOrder(i) });
      const accepted = [SIM_GENESIS.id];
      const view = new SimView(consensus, accepted, this.proposals.blocks);
      this.consensus.push(consensus);
      this.accepted.push(accepted);
      this.views.push(view);
      if (this.kind[i] === HONEST) {
        this.behaviours.push(honestBehaviour(view));
      } else {
        const own = new SeededRandom(this.random.int(2 ** 32));
        this.behaviours.push(this.adversary.behaviour(view, () => own.next()));
      }
    }
    this.height = new Int32Array(n);
    this.tip = new Array<BlockId | undefined>(n);
    this.reportedTip = new Array<BlockId | undefined>(n);
    this.askedIn = new Int32Array(n);
    this.askedVote = new Int32Array(n);
    this.pollsMade = new Float64Array(n);
    // Height 1: every node knows its candidates from the start.
    const first = this.proposals.childrenOf(SIM_GENESIS);
    for (let i = 0; i < n; i++) this.learn(i, first, 0);
  }

  /** Whether every honest node accepted every height. */
  get done(): boolean {
    return this.book.allAccepted(this.opts.heights);
  }

  /**
   * Runs rounds until every honest node decided every height, `maxRounds` rounds have run, or
   * a round in which no node polled (nothing can change any more).
   */
  run(maxRounds: number): LockstepStats {
    while (!this.done && this.round < maxRounds) {
      if (!this.step()) break;
    }
    return { rounds: this.round, simulatedMs: this.round * this.opts.roundMs, polls: this.polls };
  }

  /** One round; false when no node had anything to poll. */
  step(): boolean {
    let polling = 0;
    let low = Infinity;
    let high = 0;
    // Where each node polls this round, and (full information) what the adversary now knows.
    for (let i = 0; i < this.n; i++) {
      this.height[i] = 0;
      if (this.kind[i] === SILENT) continue;
      const chain = this.views[i]!.preferredChain();
      const tip = chain[chain.length - 1];
      if (tip === undefined) continue;
      // A node learns a height's candidates only once it accepted the height below.
      if (chain.length !== 1) throw new Error(`lock-step node ${this.ids[i]} has ${chain.length} undecided heights`);
      const h = tip.height;
      this.height[i] = h;
      this.tip[i] = tip.id;
      if (h < low) low = h;
      if (h > high) high = h;
      polling++;
      if (this.adversary.fullInformation && this.kind[i] === HONEST && this.reportedTip[i] !== tip.id) {
        this.reportedTip[i] = tip.id;
        this.adversary.observeHonest(this.ids[i]!, chain);
      }
    }
    if (polling === 0) return false;
    // Every answer reflects the state at the start of the round: honest ones are taken now.
    this.snapshot(low, high);
    // Honest nodes' answers are in the snapshot and nothing reads their state again this round,
    // so each records its polls as soon as it made them; the liars' answers are read from the
    // liars themselves, so theirs are recorded last, after every liar made its polls.
    const { concurrentPolls } = this.params;
    for (let i = 0; i < this.liarFrom; i++) {
      const h = this.height[i]!;
      if (h === 0) continue;
      let learnt: Block[] | undefined;
      for (let p = 0; p < concurrentPolls; p++) {
        if (this.multinomial) this.pollMultinomial(i);
        else this.pollDraws(i);
        learnt = this.record(i, this.tally(p, h), learnt);
      }
      if (learnt !== undefined) this.learn(i, learnt, this.round + 1);
    }
    let slot = concurrentPolls;
    for (let i = this.liarFrom; i < this.n; i++) {
      if (this.height[i] === 0) continue;
      for (let p = 0; p < concurrentPolls; p++) {
        this.pollDraws(i);
        this.tally(slot++, this.height[i]!);
      }
    }
    slot = concurrentPolls;
    for (let i = this.liarFrom; i < this.n; i++) {
      if (this.height[i] === 0) continue;
      let learnt: Block[] | undefined;
      for (let p = 0; p < concurrentPolls; p++) learnt = this.record(i, this.slots[slot++]!, learnt);
      if (learnt !== undefined) this.learn(i, learnt, this.round + 1);
    }
    this.round++;
    this.polls += polling * concurrentPolls;
    return true;
  }

  /** Records one poll of node i; returns the children of what it accepted, added to `learnt`. */
  private record(i: number, tallies: readonly Map<BlockId, number>[], learnt: Block[] | undefined): Block[] | undefined {
    this.pollsMade[i]!++;
    const d = this.consensus[i]!.recordPoll(this.height[i]!, tallies);
    if (d.accepted.length === 0 && d.preferenceChanges === 0) return learnt;
    this.views[i]!.changed();
    return this.decided(i, d, learnt);
  }

  /**
   * Every honest and silent node's vote at each height polled this round, from one truthful
   * answer per node over all of them (the window is at most MAX_QUERY_HEIGHTS wide, as a
   * peer's answer is; a node polling far below the rest gets its own answers height by height).
   */
  private snapshot(low: number, high: number): void {
    this.snapLow = low;
    this.distributions.clear();
    const span = high - low + 1;
    while (this.snapVotes.length < span) this.snapVotes.push(new Int32Array(this.n));
    const wide = span > MAX_QUERY_HEIGHTS;
    for (let j = 0; j < this.liarFrom; j++) {
      if (this.kind[j] === SILENT) {
        for (let o = 0; o < span; o++) this.snapVotes[o]![j] = NONE;
        continue;
      }
      if (wide) {
        for (let o = 0; o < span; o++) this.snapVotes[o]![j] = this.code(this.answerOf(j, low + o, low + o)?.[0]);
        continue;
      }
      const ids = this.answerOf(j, low, high);
      for (let o = 0; o < span; o++) this.snapVotes[o]![j] = this.code(ids?.[o]);
    }
  }

  /** Honest node j's answer (its Behaviour's: truthful) about heights from..to. */
  private answerOf(j: number, from: number, to: number): readonly (BlockId | undefined)[] | undefined {
    return this.behaviours[j]!.answer(from, to, this.ids[j]!);
  }

  /** Books what node i decided; returns the children of the blocks it accepted, added to `learnt`. */
  private decided(i: number, d: Decisions, learnt: Block[] | undefined): Block[] | undefined {
    const row = this.honestRow[i]!;
    if (row >= 0) this.book.changedPreferences(d.preferenceChanges);
    const nowMs = (this.round + 1) * this.opts.roundMs;
    for (const b of d.accepted) {
      this.accepted[i]![b.height] = b.id;
      if (row >= 0) {
        this.book.accept(row, b, this.pollsMade[i]!, this.round + 1, nowMs);
        if (this.book.allAccepted(b.height)) this.adversary.decided(b.height);
      }
      const kids = this.proposals.childrenOf(b);
      if (kids.length > 0) {
        this.book.proposed(b.height + 1, nowMs);
        (learnt ??= []).push(...kids);
      }
    }
    return learnt;
  }

  /** Node i learns blocks once `rounds` rounds are over (it polls them from the next one). */
  private learn(i: number, blocks: readonly Block[], rounds: number): void {
    const row = this.honestRow[i]!;
    this.views[i]!.changed();
    for (const b of blocks) {
      if (this.consensus[i]!.add(b) === "added" && row >= 0) this.book.start(row, b.height, this.pollsMade[i]!, rounds);
    }
  }

  /** Counts m votes for `code` into the poll being made. */
  private count(code: number, m: number): void {
    if (code === NONE || m === 0) return;
    if (this.counts[code] === 0) this.touched[this.touchedCount++] = code;
    this.counts[code]! += m;
  }

  /** An honest node's poll: how many draws hit liars, each of those asked; the rest one multinomial draw. */
  private pollMultinomial(i: number): void {
    const k = this.params.k;
    const liars = this.n - this.liarFrom;
    const onLiars = liars === 0 ? 0 : binomial(k, liars / this.n, this.random.next());
    if (onLiars > 0) {
      const serial = ++this.serial;
      for (let d = 0; d < onLiars; d++) this.count(this.askLiarOnce(i, this.liarFrom + this.random.int(liars), serial), 1);
    }
    const dist = this.distribution(this.height[i]!);
    let draws = k - onLiars;
    const last = dist.codes.length - 1;
    for (let c = 0; c < last && draws > 0; c++) {
      const table = (dist.tables[c]![draws] ??= binomialTable(draws, dist.counts[c]! / dist.left[c]!));
      const u = this.random.next();
      let x = 0;
      while (u >= table[x]!) x++;
      this.count(dist.codes[c]!, x);
      draws -= x;
    }
    this.count(dist.codes[last]!, draws);
  }

  /** A poll made draw by draw: K members with replacement, each distinct one asked once. */
  private pollDraws(i: number): void {
    const serial = ++this.serial;
    for (let d = this.params.k; d > 0; d--) {
      const j = this.random.int(this.n);
      if (this.askedIn[j] !== serial) {
        this.askedIn[j] = serial;
        this.askedVote[j] = this.ask(i, j);
      }
      this.count(this.askedVote[j]!, 1);
    }
  }

  /** Liar j's answer to i, asked once per poll however often it was drawn. */
  private askLiarOnce(i: number, j: number, serial: number): number {
    if (this.askedIn[j] !== serial) {
      this.askedIn[j] = serial;
      this.askedVote[j] = this.ask(i, j);
    }
    return this.askedVote[j]!;
  }

  /** Member j's vote at i's height: the snapshot's, none, or a liar's answer asked now. */
  private ask(i: number, j: number): number {
    const h = this.height[i]!;
    if (j === i) {
      // No message: its own vote, honest even in a byzantine node (node.ts answerSelf).
      return j < this.liarFrom ? this.snapVotes[h - this.snapLow]![j]! : this.code(truthfulAnswer(this.views[j]!, h, h)[0]);
    }
    if (this.loss > 0 && this.random.next() < this.loss) return NONE;
    if (j < this.liarFrom) return this.snapVotes[h - this.snapLow]![j]!;
    const liar = this.behaviours[j]!;
    if (this.adversary.observesQueries) liar.observeQuery?.(this.ids[i]!, this.tip[i]);
    return this.code(liar.answer(h, h, this.ids[i]!)?.[0]);
  }

  /** How the honest and silent nodes vote at `h` this round (from the snapshot). */
  private distribution(h: number): Distribution {
    let dist = this.distributions.get(h);
    if (dist !== undefined) return dist;
    const votes = this.snapVotes[h - this.snapLow]!;
    const byCode = new Map<number, number>();
    for (let j = 0; j < this.liarFrom; j++) byCode.set(votes[j]!, (byCode.get(votes[j]!) ?? 0) + 1);
    // Ascending codes: the same order whatever order the members came in.
    const codes = [...byCode.keys()].sort((a, b) => a - b);
    const counts = codes.map((c) => byCode.get(c)!);
    let left = this.liarFrom;
    const lefts = counts.map((count) => ((left -= count), left + count));
    dist = { codes, counts, left: lefts, tables: codes.map(() => []) };
    this.distributions.set(h, dist);
    return dist;
  }

  private code(id: BlockId | undefined): number {
    return id === undefined ? NONE : (this.codeOf.get(id) ?? NONE);
  }

  /**
   * Moves the counted votes into the slot's tally, reusing its map while the slot's polls are
   * at one height: every block voted for there keeps its key, with 0 when it got no vote this
   * time (a zero in a tally counts for nothing). Clearing a Map, making one, or deleting and
   * re-adding keys poll after poll allocates tables, which cost more than the rest of the poll.
   */
  private tally(slot: number, h: number): [Map<BlockId, number>] {
    const counts = this.counts;
    const touched = this.touched;
    let tallies = this.slots[slot];
    let keys = this.slotCodes[slot];
    if (tallies === undefined || keys === undefined || this.slotHeight[slot] !== h) {
      tallies = this.slots[slot] = [new Map()];
      keys = this.slotCodes[slot] = [];
      this.slotHeight[slot] = h;
    }
    for (let t = 0; t < this.touchedCount; t++) if (!keys.includes(touched[t]!)) keys.push(touched[t]!);
    const map = tallies[0];
    for (let c = 0; c < keys.length; c++) {
      const code = keys[c]!;
      map.set(this.idOf[code]!, counts[code]!);
      counts[code] = 0;
    }
    this.touchedCount = 0;
    return tallies;
  }

  private register(block: Block): void {
    const code = this.idOf.length;
    this.codeOf.set(block.id, code);
    this.idOf.push(block.id);
    this.heightOf.push(block.height);
    if (code >= this.counts.length) {
      const bigger = new Int32Array(this.counts.length * 2);
      bigger.set(this.counts);
      this.counts = bigger;
      this.touched = new Int32Array(bigger.length);
    }
  }
}

/** The cumulative distribution of Binomial(n, p): entry x is P(X ≤ x); the last is 1. */
function binomialTable(n: number, p: number): Float64Array {
  const table = new Float64Array(n + 1);
  if (p <= 0) table.fill(1);
  else if (p >= 1) table[n] = 1;
  else {
    const ratio = p / (1 - p);
    let pk = pow(1 - p, n);
    let cdf = 0;
    for (let x = 0; x <= n; x++) {
      cdf += pk;
      table[x] = cdf;
      pk *= (ratio * (n - x)) / (x + 1);
    }
  }
  // Rounding must not leave a uniform draw above the last entry.
  table[n] = 1;
  return table;
}

/** A Binomial(n, p) draw by inversion from the uniform `u` (n is K at most: a few steps). */
export function binomial(n: number, p: number, u: number): number {
  if (p <= 0 || n === 0) return 0;
  if (p >= 1) return n;
  const q = 1 - p;
  const ratio = p / q;
  let pk = pow(q, n);
  let cdf = pk;
  let k = 0;
  while (u >= cdf && k < n) {
    pk *= (ratio * (n - k)) / (k + 1);
    k++;
    cdf += pk;
  }
  return k;
}
