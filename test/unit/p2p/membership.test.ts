import { MemberTable, type MembershipEvent, type MembershipOptions } from "../../../src/p2p/membership";
import { mulberry32 } from "../../utils/consensus/random";

const SELF = { nodeId: "self", address: "10.0.0.1:50051" };
const GRACE_MS = 1000;

function table(opts: Partial<MembershipOptions> = {}, seed = 1): { t: MemberTable; events: MembershipEvent[] } {
  const events: MembershipEvent[] = [];
  const t = new MemberTable(
    { selfId: SELF.nodeId, selfAddress: SELF.address, graceMs: GRACE_MS, maxNeighbors: 3, ...opts },
    mulberry32(seed),
    (e) => events.push(e),
  );
  return { t, events };
}

const peer = (i: number): { nodeId: string; address: string } => ({ nodeId: `peer-${i}`, address: `10.0.1.${i}:50051` });

function addPeers(t: MemberTable, n: number, nowMs = 0): void {
  for (let i = 1; i <= n; i++) t.upsert(peer(i), nowMs);
}

/** Just who and where: the table hands out its own records, which carry liveness too. */
const info = (m: { nodeId: string; address: string } | undefined): { nodeId: string; address: string } | undefined =>
  m && { nodeId: m.nodeId, address: m.address };
const infos = (ms: { nodeId: string; address: string }[]): ({ nodeId: string; address: string } | undefined)[] => ms.map(info);

const summary = (events: MembershipEvent[]): string[] => events.map((e) => `${e.type} ${e.member.nodeId}@${e.member.address}`);

describe("MemberTable", () => {
  it("never holds itself, by id or by address", () => {
    const { t, events } = table();
    t.upsert(SELF, 0);
    t.upsert({ nodeId: SELF.nodeId, address: "10.9.9.9:1" }, 0); // our id at another address (a NAT alias)
    t.upsert({ nodeId: "impostor", address: SELF.address }, 0); // our address under another id
    expect(t.size).toBe(0);
    expect(t.members()).toEqual([]);
    expect(t.neighbors()).toEqual([]);
    expect(events).toEqual([]);
  });

  it("adds a new member once and tells of it", () => {
    const { t, events } = table();
    t.upsert(peer(1), 0);
    t.upsert(peer(1), 5);
    expect(infos(t.all())).toEqual([peer(1)]);
    expect(t.members()).toEqual(["peer-1"]);
    expect(t.isLive("peer-1")).toBe(true);
    expect(summary(events)).toEqual(["joined peer-1@10.0.1.1:50051"]);
  });

  it("takes back a member that moved to a new address, live again", () => {
    const { t, events } = table();
    t.upsert(peer(1), 0);
    t.markFailed("peer-1", 10);
    t.upsert({ nodeId: "peer-1", address: "10.0.2.1:50051" }, 20);
    expect(info(t.get("peer-1"))).toEqual({ nodeId: "peer-1", address: "10.0.2.1:50051" });
    expect(t.size).toBe(1);
    expect(t.isLive("peer-1")).toBe(true);
    expect(t.neighbors().map((m) => m.address)).toEqual(["10.0.2.1:50051"]);
    const moved = events.find((e) => e.type === "moved");
    expect(moved).toEqual({ type: "moved", member: { nodeId: "peer-1", address: "10.0.2.1:50051" }, previousAddress: "10.0.1.1:50051" });
  });

  it("a new id cannot evict a live member from its address", () => {
    const { t, events } = table();
    t.upsert(peer(1), 0);
    expect(t.upsert({ nodeId: "squatter", address: peer(1).address }, 10)).toBe(false);
    expect(infos(t.all())).toEqual([peer(1)]);
    expect(summary(events)).toEqual(["joined peer-1@10.0.1.1:50051"]);
  });

  it("replaces the member at an address once it stopped answering and a new id answers there (a restart with a new key)", () => {
    const { t, events } = table();
    t.upsert(peer(1), 0);
    t.markFailed("peer-1", 5);
    expect(t.upsert({ nodeId: "peer-1-reborn", address: peer(1).address }, 10)).toBe(true);
    expect(infos(t.all())).toEqual([{ nodeId: "peer-1-reborn", address: peer(1).address }]);
    expect(t.has("peer-1")).toBe(false);
    expect(t.members()).toEqual(["peer-1-reborn"]);
    expect(summary(events)).toEqual([
      "joined peer-1@10.0.1.1:50051",
      "down peer-1@10.0.1.1:50051",
      "dropped peer-1@10.0.1.1:50051",
      "joined peer-1-reborn@10.0.1.1:50051",
    ]);
  });

  it("tells once when a member goes down and once when it comes back", () => {
    const { t, events } = table();
    t.upsert(peer(1), 0);
    t.markFailed("peer-1", 10);
    t.markFailed("peer-1", 20);
    expect(t.isLive("peer-1")).toBe(false);
    expect(infos(t.unreachable())).toEqual([peer(1)]);
    t.markOk("peer-1", 30);
    t.markOk("peer-1", 40);
    expect(t.isLive("peer-1")).toBe(true);
    expect(summary(events)).toEqual(["joined peer-1@10.0.1.1:50051", "down peer-1@10.0.1.1:50051", "up peer-1@10.0.1.1:50051"]);
  });

  it("ignores liveness news of members it does not know", () => {
    const { t, events } = table();
    t.markFailed("ghost", 0);
    t.markOk("ghost", 0);
    expect(t.size).toBe(0);
    expect(events).toEqual([]);
  });

  it("a handshake from a failing member at its address makes it live again", () => {
    const { t, events } = table();
    t.upsert(peer(1), 0);
    t.markFailed("peer-1", 10);
    t.upsert(peer(1), 20);
    expect(t.isLive("peer-1")).toBe(true);
    expect(events.map((e) => e.type)).toEqual(["joined", "down", "up"]);
  });

  it("drops a member only once it has been unreachable for longer than the grace period", () => {
    const { t, events } = table();
    addPeers(t, 2);
    t.markFailed("peer-1", 100);
    expect(t.sweep(100 + GRACE_MS)).toEqual([]);
    expect(t.has("peer-1")).toBe(true);
    expect(t.sweep(100 + GRACE_MS + 1)).toEqual([peer(1)]);
    expect(t.has("peer-1")).toBe(false);
    expect(t.members()).toEqual(["peer-2"]);
    expect(events.at(-1)).toEqual({ type: "dropped", member: peer(1) });
    // A live member is never swept, however long ago it joined.
    expect(t.sweep(10 * GRACE_MS)).toEqual([]);
  });

  it("does not drop a member that came back within the grace period", () => {
    const { t } = table();
    addPeers(t, 1);
    t.markFailed("peer-1", 0);
    t.markOk("peer-1", GRACE_MS / 2);
    t.markFailed("peer-1", GRACE_MS);
    expect(t.sweep(GRACE_MS + GRACE_MS / 2 + 1)).toEqual([]);
    expect(t.sweep(2 * GRACE_MS + 1)).toEqual([peer(1)]);
  });

  it("keeps unresponsive members in what polls sample (missing votes, not absent ones)", () => {
    const { t } = table();
    addPeers(t, 4);
    t.markFailed("peer-2", 0);
    t.markFailed("peer-3", 0);
    expect([...t.members()].sort()).toEqual(["peer-1", "peer-2", "peer-3", "peer-4"]);
    expect(t.live().map((m) => m.nodeId).sort()).toEqual(["peer-1", "peer-4"]);
  });

  it("bounds the neighbor set and keeps only live members in it", () => {
    const { t } = table({ maxNeighbors: 3 });
    addPeers(t, 8);
    const first = t.neighbors().map((m) => m.nodeId);
    expect(first).toHaveLength(3);
    expect(new Set(first).size).toBe(3);

    // A failing neighbor is replaced by another live member; the others stay.
    const [gone, ...kept] = first;
    t.markFailed(gone!, 0);
    const after = t.neighbors().map((m) => m.nodeId);
    expect(after).toHaveLength(3);
    expect(after).not.toContain(gone);
    expect(after).toEqual(expect.arrayContaining(kept));

    // With fewer live members than places, every live member is a neighbor, and no failing one.
    for (let i = 1; i <= 6; i++) t.markFailed(`peer-${i}`, 0);
    expect(t.neighbors().map((m) => m.nodeId).sort()).toEqual(["peer-7", "peer-8"]);
    expect(t.neighbors().every((m) => t.isLive(m.nodeId))).toBe(true);

    // A member that comes back fills a free place.
    t.markOk("peer-1", 1);
    expect(t.neighbors().map((m) => m.nodeId).sort()).toEqual(["peer-1", "peer-7", "peer-8"]);
    // A full set takes no more.
    t.markOk("peer-2", 1);
    expect(t.neighbors()).toHaveLength(3);
  });

  it("fills the neighbor set as members join and refills it when one is dropped", () => {
    const { t } = table({ maxNeighbors: 2 });
    t.upsert(peer(1), 0);
    expect(t.neighbors().map((m) => m.nodeId)).toEqual(["peer-1"]);
    t.upsert(peer(2), 0);
    t.upsert(peer(3), 0);
    expect(t.neighbors()).toHaveLength(2);
    const [n1] = t.neighbors().map((m) => m.nodeId);
    t.markFailed(n1!, 0);
    t.sweep(GRACE_MS + 1);
    expect(t.has(n1!)).toBe(false);
    expect(t.neighbors()).toHaveLength(2);
    expect(t.neighbors().map((m) => m.nodeId)).not.toContain(n1);
  });

  it("samples up to max distinct live members, never a failing one", () => {
    const { t } = table();
    addPeers(t, 10);
    t.markFailed("peer-3", 0);
    t.markFailed("peer-7", 0);
    for (let round = 0; round < 50; round++) {
      const sample = t.sampleLive(5).map((m) => m.nodeId);
      expect(sample).toHaveLength(5);
      expect(new Set(sample).size).toBe(5);
      expect(sample).not.toContain("peer-3");
      expect(sample).not.toContain("peer-7");
    }
    expect(t.sampleLive(100)).toHaveLength(8);
    expect(t.sampleLive(0)).toEqual([]);
  });

  it("samples every live member over time (random, not always the same few)", () => {
    const { t } = table({}, 42);
    addPeers(t, 10);
    const seen = new Set<string>();
    for (let round = 0; round < 50; round++) for (const m of t.sampleLive(2)) seen.add(m.nodeId);
    expect(seen.size).toBe(10);
  });
});
