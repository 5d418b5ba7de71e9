import type { LedgerView } from "../../../src/behaviour/behaviour";
import { createBehaviour } from "../../../src/behaviour/registry";
import { SplitEstimate } from "../../../src/behaviour/split-estimate";
import { balancingAnswer } from "../../../src/behaviour/strategies";
import { SYNC_LIE_AHEAD } from "../../../src/behaviour/sync-liar";
import { nodeIdOf, verifySignature } from "../../../src/chain/keys";
import type { Block } from "../../../src/chain/types";
import { validateBlock } from "../../../src/chain/validate";
import { makeEntry } from "../../../src/chain/hash";
import { signerFor } from "../../utils/chain/blocks";
import { forkedView as fixture } from "../../utils/behaviour-view";

const draft = (parent: Block) => ({ parent, entries: [makeEntry(Buffer.from("x")), makeEntry(Buffer.from("y"))], signer: signerFor("proposer"), timestampMs: parent.timestampMs + 5 });
const deps = (view: LedgerView) => ({ view, signer: signerFor("byzantine"), random: () => 0.99 });

describe("behaviours: how each answers, proposes, gossips and serves sync", () => {
  it("honest: the accepted chain, then its preferred chain; one signed block per draft to every neighbour", () => {
    const { view, accepted, a3, a4 } = fixture();
    const b = createBehaviour("honest", deps(view));
    expect(b.answer(1, 4, "x")).toEqual([accepted[1]!.id, accepted[2]!.id, a3.id, a4.id]);
    const [block, ...rest] = b.propose(draft(a4));
    expect(rest).toEqual([]);
    expect(block!.proposer).toBe(signerFor("proposer").nodeId);
    expect(verifySignature(block!.proposerKey, Buffer.from(block!.id, "hex"), block!.signature)).toBe(true);
    expect(b.gossip([block!], [{ nodeId: "n1", address: "a:1" }, { nodeId: "n2", address: "a:2" }])).toEqual([{ block, to: [{ nodeId: "n1", address: "a:1" }, { nodeId: "n2", address: "a:2" }] }]);
    expect(b.claimedHeight(7)).toBe(7);
  });

  it("silent: no answer to queries, no proposals, nothing served to a sync", () => {
    const b = createBehaviour("silent", deps(fixture().view));
    expect(b.answer(1, 4, "x")).toBeUndefined();
    expect(b.propose(draft(fixture().a4))).toEqual([]);
    expect(b.serveRange(1, 2)).toBeUndefined();
    expect(b.serveAccepted(1)).toBeUndefined();
  });

  it("random: a candidate of each undecided height, truthful below", () => {
    const { view, accepted, b3, b4 } = fixture();
    const b = createBehaviour("random", { ...deps(view), random: () => 0.99 });
    expect(b.answer(2, 4, "x")).toEqual([accepted[2]!.id, b3.id, b4.id]);
  });

  it("contrarian: never the preferred candidate where there is another", () => {
    const { view, b3, b4 } = fixture();
    const b = createBehaviour("contrarian", { ...deps(view), random: () => 0 });
    expect(b.answer(3, 4, "x")).toEqual([b3.id, b4.id]);
  });

  it("balancing: votes for whichever candidate fewer askers were seen to prefer", () => {
    const { view, a3, b3, a4, b4 } = fixture();
    const b = createBehaviour("balancing", deps(view));
    // Three askers prefer the a-branch, one the b-branch: the balancer votes b.
    for (const asker of ["p1", "p2", "p3"]) b.observeQuery!(asker, a4.id);
    b.observeQuery!("p4", b4.id);
    expect(b.answer(3, 4, "p1")).toEqual([b3.id, b4.id]);
    // Two askers change their minds: now b is the majority, and the balancer votes a.
    b.observeQuery!("p1", b4.id);
    b.observeQuery!("p2", b4.id);
    expect(b.answer(3, 4, "p1")).toEqual([a3.id, a4.id]);
  });

  it("balancing's estimate counts each member once, at its latest preference", () => {
    const split = new SplitEstimate();
    split.observe("m", new Map([[3, "a"]]));
    split.observe("m", new Map([[3, "b"]]));
    split.observe("n", new Map([[3, "b"]]));
    expect([split.supporters(3, "a"), split.supporters(3, "b")]).toEqual([0, 2]);
    split.prune(3);
    expect(split.supporters(3, "b")).toBe(0);
    const { view, a3 } = fixture();
    expect(balancingAnswer(split, () => 0)(view, 3, 3)).toEqual([a3.id]);
  });

  it("equivocator: two different, validly signed blocks at one height, each to a different half of the neighbours", () => {
    const { view, a4 } = fixture();
    const b = createBehaviour("equivocator", deps(view));
    const blocks = b.propose(draft(a4));
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.id).not.toBe(blocks[1]!.id);
    expect(blocks.map((x) => [x.height, x.proposer])).toEqual([
      [5, signerFor("proposer").nodeId],
      [5, signerFor("proposer").nodeId],
    ]);
    const limits = { maxEntryBytes: 100, maxBlockEntries: 10, maxBlockBytes: 1000 };
    for (const x of blocks) expect(() => validateBlock(x, { parent: a4, entryInAncestry: () => false, limits, nowMs: a4.timestampMs + 10, maxClockSkewMs: 0 })).not.toThrow();
    const neighbours = [1, 2, 3, 4].map((i) => ({ nodeId: `n${i}`, address: `h:${i}` }));
    const sent = b.gossip(blocks, neighbours);
    expect(sent.map((g) => g.to.map((n) => n.nodeId))).toEqual([["n1", "n2"], ["n3", "n4"]]);
  });

  it("sync-liar: claims a tip far above its own and serves a fabricated chain there, linked and signed as if real", () => {
    const { view, accepted } = fixture();
    const b = createBehaviour("sync-liar", deps(view));
    expect(b.claimedHeight(2)).toBe(2 + SYNC_LIE_AHEAD);
    const report = b.serveAccepted(5)!;
    expect(report.lastAcceptedHeight).toBe(2 + SYNC_LIE_AHEAD);
    expect(b.serveAccepted(1)!.idAtHeight).toBe(accepted[1]!.id); // the truth below its real tip
    const served = b.serveRange(1, 6)!;
    expect(served.map((x) => x.height)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(served[4]!.id).toBe(report.idAtHeight);
    const limits = { maxEntryBytes: 1000, maxBlockEntries: 10, maxBlockBytes: 10_000 };
    for (let i = 1; i < served.length; i++) {
      expect(() => validateBlock(served[i]!, { parent: served[i - 1]!, entryInAncestry: () => false, limits, nowMs: Date.now(), maxClockSkewMs: 1e12 })).not.toThrow();
    }
    expect(nodeIdOf(served[3]!.proposerKey)).toBe(signerFor("byzantine").nodeId);
  });

  it("flooder: honest in what it answers", () => {
    const { view, accepted, a3, a4 } = fixture();
    expect(createBehaviour("flooder", deps(view)).answer(1, 4, "x")).toEqual([accepted[1]!.id, accepted[2]!.id, a3.id, a4.id]);
  });
});
