import { chainOn, childOf, signerFor } from "../../utils/chain/blocks";
import { useTmpDir } from "../../utils/chain/tmp-dir";
import { openLedger, reopenWith, type TestLedger } from "../../utils/ledger/ledger";

const NOTHING_ELSE = { rejected: [], preferenceChanges: 0 } as const;

describe("Ledger: what a sync finds is not hidden", () => {
  const dir = useTmpDir("snowchain-ledger-");
  let t: TestLedger;
  beforeEach(async () => (t = await openLedger(dir())));
  afterEach(() => t.close());

  const conflicts = async (): Promise<number> => (await t.metrics.sync.conflicts.get()).values[0]?.value ?? 0;

  it("a block its consensus accepted while a sync stored another at that height is counted as a fork", async () => {
    const [ours] = chainOn(t.genesis, 1);
    const [theirs] = chainOn(t.genesis, 1, 2);
    expect(t.ledger.learn([ours!]).added).toHaveLength(1);
    const adopting = t.ledger.adoptAccepted([theirs!]);
    // The poll that accepts `ours` finishes while the sync is storing `theirs`: deferred, then found to conflict.
    t.ledger.applyDecisions(t.ledger.consensus, { accepted: [ours!], ...NOTHING_ELSE });
    await adopting;
    await t.ledger.flush();
    expect(t.store.get(1)?.id).toBe(theirs!.id);
    expect(await conflicts()).toBe(1);
  });

  it("a deferred acceptance of the very block the sync stored is no fork", async () => {
    const [block] = chainOn(t.genesis, 1);
    t.ledger.learn([block!]);
    const adopting = t.ledger.adoptAccepted([block!]);
    t.ledger.applyDecisions(t.ledger.consensus, { accepted: [block!], ...NOTHING_ELSE });
    await adopting;
    await t.ledger.flush();
    expect(t.store.height()).toBe(1);
    expect(await conflicts()).toBe(0);
  });

  it("a sync that replaces the consensus starts a new epoch; a failed one over nothing deferred does not", async () => {
    const epoch = t.ledger.epoch;
    await expect(t.ledger.adoptAccepted(chainOn(chainOn(t.genesis, 1)[0]!, 1))).rejects.toThrow();
    expect(t.ledger.epoch).toBe(epoch);
    await t.ledger.adoptAccepted(chainOn(t.genesis, 2));
    expect(t.ledger.epoch).toBe(epoch + 1);
    expect(t.ledger.lastAcceptedHeight).toBe(2);
  });
});

describe("Ledger: equivocation", () => {
  const dir = useTmpDir("snowchain-ledger-eq-");
  let t: TestLedger;
  beforeEach(async () => (t = await openLedger(dir())));
  afterEach(() => t.close());

  it("two validly signed blocks of one proposer at one height are evidence, counted once per pair and named", async () => {
    const evidence: unknown[] = [];
    t = await reopenWith(t, dir(), (e) => evidence.push(e));
    const signer = signerFor("two-faced");
    const [first] = chainOn(t.genesis, 1);
    const a = childOf(first!, { entries: [Buffer.from("a")] }, signer);
    const b = childOf(first!, { entries: [Buffer.from("b")] }, signer);
    const other = childOf(first!, { entries: [Buffer.from("c")] });
    t.ledger.learn([first!, a, other]);
    expect(evidence).toEqual([]);
    t.ledger.learn([b]);
    t.ledger.learn([b, a]); // known blocks are not evidence again
    expect(evidence).toEqual([{ proposer: signer.nodeId, height: 2, blocks: [a.id, b.id] }]);
    expect((await t.metrics.byzantine.equivocations.get()).values[0]?.value).toBe(1);
  });

  it("one proposer's blocks at one height on different parents are no evidence (a re-proposal after its parent lost)", async () => {
    const evidence: unknown[] = [];
    t = await reopenWith(t, dir(), (e) => evidence.push(e));
    const signer = signerFor("re-proposer");
    const [p1] = chainOn(t.genesis, 1);
    const p2 = childOf(t.genesis, { entries: [Buffer.from("p2")] }, signerFor("another proposer"));
    const onP1 = childOf(p1!, { entries: [Buffer.from("x")] }, signer);
    const onP2 = childOf(p2, { entries: [Buffer.from("x")] }, signer);
    t.ledger.learn([p1!, p2, onP1, onP2]);
    expect(t.ledger.candidatesAt(2).sort()).toEqual([onP1.id, onP2.id].sort());
    expect(evidence).toEqual([]);
  });
});
