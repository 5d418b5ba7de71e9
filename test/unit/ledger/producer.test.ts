import { HonestBehaviour } from "../../../src/behaviour/honest";
import { proposerScore } from "../../../src/chain/proposer";
import type { Block, Entry } from "../../../src/chain/types";
import { MAX_PROPOSER_WINDOW_MS, MIN_BLOCK_INTERVAL_MS, PROPOSER_WINDOW_MS, Producer, proposerWindowMs } from "../../../src/ledger/producer";
import { signerFor } from "../../utils/chain/blocks";
import { useTmpDir } from "../../utils/chain/tmp-dir";
import { openLedger, type TestLedger } from "../../utils/ledger/ledger";
import { waitFor } from "../../utils/wait";

/** Three node ids ranked at height 1 (the first block's height): leader, second, third. */
function rankedAtHeight1(labels: string[]): string[] {
  return labels.map((l) => signerFor(l)).sort((a, b) => (proposerScore(1, a.nodeId) < proposerScore(1, b.nodeId) ? -1 : 1)).map((s) => s.nodeId);
}

describe("Producer: the leader of a height proposes, the others forward and wait their window", () => {
  const dir = useTmpDir("snowchain-producer-");
  let t: TestLedger;
  beforeEach(async () => (t = await openLedger(dir())));
  afterEach(async () => {
    for (const p of producers.splice(0)) p.stop();
    await t.close();
  });
  const producers: Producer[] = [];
  /** Long enough that "not yet" checks cannot race it, short enough to wait out. */
  const WINDOW_MS = 300;

  const labels = ["p-a", "p-b", "p-c"];
  const signerById = new Map(labels.map((l) => [signerFor(l).nodeId, signerFor(l)]));

  function producer(selfId: string, alone = false) {
    const signer = signerById.get(selfId)!;
    const others = alone ? [] : [...signerById.keys()].filter((id) => id !== selfId);
    const sent: Block[] = [];
    const forwards: { leader: string; entries: readonly Entry[] }[] = [];
    const p = new Producer(
      { signer, maxProcessingHeights: 4, windowMs: () => WINDOW_MS },
      {
        ledger: t.ledger,
        behaviour: new HonestBehaviour(t.ledger),
        now: () => Date.now(),
        liveMemberIds: () => others,
        neighbours: () => others.map((id) => ({ nodeId: id, address: `${id}:1` })),
        send: (_to, b) => sent.push(b),
        forward: (leader, entries) => forwards.push({ leader, entries }),
        kick: () => {},
      },
    );
    p.start();
    producers.push(p);
    return { p, sent, forwards };
  }

  it("orders a height's proposers by proposerScore, the same from every peer", () => {
    const [leader, second, third] = rankedAtHeight1(labels);
    for (const id of [leader!, second!, third!]) expect(producer(id).p.order(1)).toEqual([leader, second, third]);
  });

  it("a leader proposes at once, one block of its pending entries, and gossips it", async () => {
    const [leader] = rankedAtHeight1(labels);
    const { p, sent, forwards } = producer(leader!);
    await t.ledger.submit(Buffer.from("x"));
    p.soon();
    const block = await waitFor("the leader's block", () => t.ledger.preferredChain()[0]);
    expect(forwards).toEqual([]);
    expect(block.proposer).toBe(leader);
    expect(block.entries.map((e) => e.data.toString())).toEqual(["x"]);
    expect(sent.filter((b) => b.id === block.id)).toHaveLength(2); // to both neighbours
  });

  it("a non-leader forwards its entries to the leader once, and proposes only when its window passed with nobody proposing", async () => {
    const [leader, , third] = rankedAtHeight1(labels);
    const { p, forwards } = producer(third!);
    const started = Date.now();
    await t.ledger.submit(Buffer.from("y"));
    p.soon();
    await waitFor("the forward", () => (forwards.length === 1 ? true : undefined));
    expect(forwards.map((f) => [f.leader, f.entries.map((e) => e.data.toString())])).toEqual([[leader, ["y"]]]);
    expect(t.ledger.preferredChain()).toEqual([]);
    // Another submit in the window: only the new entry goes, and still no proposal.
    await t.ledger.submit(Buffer.from("z"));
    p.soon();
    await waitFor("the second forward", () => (forwards.length === 2 ? true : undefined));
    expect(forwards[1]!.entries.map((e) => e.data.toString())).toEqual(["z"]);
    expect(t.ledger.preferredChain()).toEqual([]);
    // Third in the order: two windows, then it proposes both entries itself.
    const block = await waitFor("the fallback proposal", () => t.ledger.preferredChain()[0]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * WINDOW_MS - 20);
    expect(block.proposer).toBe(third);
    expect(block.entries.map((e) => e.data.toString()).sort()).toEqual(["y", "z"]);
  });

  it("a block comes at least MIN_BLOCK_INTERVAL_MS after its parent's timestamp: entries submitted meanwhile share it", async () => {
    const [leader] = rankedAtHeight1(labels);
    const { p } = producer(leader!, true); // alone: the leader of every height
    await t.ledger.submit(Buffer.from("first"));
    p.soon();
    const first = await waitFor("the first block", () => t.ledger.preferredChain()[0]);
    for (const x of ["a", "b", "c"]) {
      await t.ledger.submit(Buffer.from(x));
      p.soon();
    }
    const second = await waitFor("the second block", () => t.ledger.preferredChain()[1]);
    expect(second.timestampMs - first.timestampMs).toBeGreaterThanOrEqual(MIN_BLOCK_INTERVAL_MS);
    expect(second.entries.map((e) => e.data.toString()).sort()).toEqual(["a", "b", "c"]);
  });

  it("the leader holds forwarded entries (not journaled) and proposes them with its own", async () => {
    const [leader] = rankedAtHeight1(labels);
    const { p } = producer(leader!);
    expect(t.ledger.takeForwarded([Buffer.from("from b"), Buffer.from("from c")])).toBe(2);
    expect(t.ledger.takeForwarded([Buffer.from("from b")])).toBe(0); // known already
    await t.ledger.submit(Buffer.from("own"));
    p.soon();
    const block = await waitFor("the leader's block", () => t.ledger.preferredChain()[0]);
    expect(block.entries.map((e) => e.data.toString()).sort()).toEqual(["from b", "from c", "own"]);
    expect(() => t.ledger.takeForwarded([Buffer.alloc(0)])).toThrow(/entry data is empty/);
  });
});

describe("proposerWindowMs", () => {
  it("spans three smoothed round trips, between PROPOSER_WINDOW_MS and MAX_PROPOSER_WINDOW_MS", () => {
    expect(proposerWindowMs(undefined)).toBe(PROPOSER_WINDOW_MS);
    expect(proposerWindowMs(Number.NaN)).toBe(PROPOSER_WINDOW_MS);
    expect(proposerWindowMs(2)).toBe(PROPOSER_WINDOW_MS); // an idle loopback network: the floor
    expect(proposerWindowMs(40)).toBe(120);
    expect(proposerWindowMs(135)).toBe(405); // a saturated 10-peer bench
    expect(proposerWindowMs(5_000)).toBe(MAX_PROPOSER_WINDOW_MS);
  });
});
