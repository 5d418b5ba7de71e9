import pino from "pino";
import type { AcceptedReport } from "../../../src/behaviour/behaviour";
import type { Block } from "../../../src/chain/types";
import { Sync, type SyncPeers } from "../../../src/ledger/sync";
import { chainOn, childOf, signerFor } from "../../utils/chain/blocks";
import { useTmpDir } from "../../utils/chain/tmp-dir";
import { openLedger, type TestLedger } from "../../utils/ledger/ledger";
import { waitFor } from "../../utils/wait";

/** A member as the sync sees it: the chain it serves and the tip it claims. */
interface FakeMember {
  readonly chain: readonly Block[]; // heights 1..n
  /** The height it claims; @default its chain's length */
  readonly claims?: number;
  /** Answers nothing at all. */
  readonly silent?: boolean;
}

/** SyncPeers over fake members: GetAccepted and FetchRange answered from each member's chain. */
class FakePeers implements SyncPeers {
  readonly fetchedFrom: string[] = [];

  constructor(
    private readonly members: Readonly<Record<string, FakeMember>>,
    private readonly genesis: Block,
  ) {}

  sampleLive(n: number): string[] {
    return Object.keys(this.members).slice(0, n);
  }

  async accepted(member: string, height: number): Promise<AcceptedReport> {
    const m = this.get(member);
    const top = m.claims ?? m.chain.length;
    const at = (h: number): Block | undefined => (h === 0 ? this.genesis : m.chain[h - 1]);
    return { lastAcceptedHeight: top, lastAcceptedId: at(Math.min(top, m.chain.length))!.id, idAtHeight: height <= top ? at(height)?.id : undefined };
  }

  async fetchRange(member: string, from: number, to: number): Promise<Block[]> {
    this.fetchedFrom.push(member);
    return this.get(member).chain.slice(from - 1, to);
  }

  private get(member: string): FakeMember {
    const m = this.members[member]!;
    if (m.silent) throw new Error(`${member} does not answer`);
    return m;
  }
}

describe("Sync trusts a majority of the sampled members, never one", () => {
  const dir = useTmpDir("snowchain-sync-");
  let t: TestLedger;
  let real: Block[];

  beforeEach(async () => {
    t = await openLedger(dir());
    real = chainOn(t.genesis, 6);
  });
  afterEach(() => t.close());

  /** A chain of `n` blocks nobody accepted, valid in every way but that. */
  const fabricated = (n: number, from: Block = t.genesis): Block[] => {
    const out: Block[] = [];
    let tip = from;
    for (let i = 0; i < n; i++) out.push((tip = childOf(tip, { entries: [Buffer.from(`fake ${tip.height + 1}`)] }, signerFor("liar"))));
    return out;
  };

  async function syncWith(members: Record<string, FakeMember>): Promise<{ peers: FakePeers; disagreements: number }> {
    const peers = new FakePeers(members, t.genesis);
    const sync = new Sync({ batch: 4, lag: 1, timeoutMs: 1000 }, { ledger: t.ledger, peers, log: pino({ level: "silent" }), metrics: t.metrics, onAdopted: () => {} });
    sync.enable();
    sync.start();
    await waitFor("the sync to finish", () => (sync.active ? undefined : true));
    await t.ledger.flush();
    const disagreements = (await t.metrics.sync.disagreements.get()).values[0]?.value ?? 0;
    return { peers, disagreements };
  }

  const storedIds = (): string[] => t.store.range(1, t.store.height()).map((b) => b.id);

  it("adopts the chain the majority accepted, in batches, and ignores a liar's taller tip", async () => {
    const { disagreements } = await syncWith({ liar: { chain: fabricated(50) }, a: { chain: real }, b: { chain: real } });
    expect(storedIds()).toEqual(real.map((b) => b.id));
    expect(disagreements).toBe(0);
  });

  it("fetches a liar's fabricated blocks, finds the majority accepted others, adopts the majority's", async () => {
    // The liar claims exactly the majority's height and is asked first: its blocks fail the vote.
    const { peers, disagreements } = await syncWith({ liar: { chain: fabricated(6) }, a: { chain: real }, b: { chain: real } });
    expect(peers.fetchedFrom[0]).toBe("liar");
    expect(disagreements).toBeGreaterThan(0);
    expect(storedIds()).toEqual(real.map((b) => b.id));
  });

  it("adopts nothing when no block has a majority (every member on a chain of its own)", async () => {
    const fork = fabricated(6);
    const other = chainOn(t.genesis, 6, 2);
    const { disagreements } = await syncWith({ a: { chain: real }, b: { chain: fork }, c: { chain: other } });
    expect(t.store.height()).toBe(0);
    expect(disagreements).toBeGreaterThanOrEqual(3);
  });

  it("counts members that do not answer against the majority", async () => {
    // One of three answers: it has no majority of the sample, however true its chain.
    const { peers } = await syncWith({ a: { chain: real }, b: { chain: real, silent: true }, c: { chain: real, silent: true } });
    expect(t.store.height()).toBe(0);
    expect(peers.fetchedFrom).toEqual([]);
  });

  it("goes only as high as a majority has accepted", async () => {
    const { disagreements } = await syncWith({ a: { chain: real }, b: { chain: real.slice(0, 3) }, c: { chain: real.slice(0, 2) } });
    expect(t.store.height()).toBe(3);
    expect(disagreements).toBe(0);
  });
});
