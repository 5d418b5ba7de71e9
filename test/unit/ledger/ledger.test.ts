import { chainOn } from "../../utils/chain/blocks";
import { useTmpDir } from "../../utils/chain/tmp-dir";
import { openLedger, type TestLedger } from "../../utils/ledger/ledger";

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
