import { blockJson, encodeData, entryStateJson, formatBlock, formatStatus, hex, statusJson } from "../../../src/cli/format";
import { makeChain, makeStatus, sha256 } from "../../utils/cli/fake-api";

describe("entry data encoding", () => {
  it("shows printable UTF-8 as text, tabs and newlines included", () => {
    expect(encodeData(Buffer.from("hello, wörld ✓\n\tline 2"))).toEqual({ data: "hello, wörld ✓\n\tline 2", encoding: "utf8" });
    expect(encodeData(Buffer.alloc(0))).toEqual({ data: "", encoding: "utf8" });
  });

  it("shows invalid UTF-8 as base64", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x41]);
    expect(encodeData(bytes)).toEqual({ data: bytes.toString("base64"), encoding: "base64" });
  });

  it("shows valid UTF-8 with control characters as base64", () => {
    for (const s of ["a\u0000b", "bell\u0007", "esc\u001b[1m", "del\u007f", "c1\u0085"]) {
      expect(encodeData(Buffer.from(s)).encoding).toBe("base64");
    }
  });

  it("round-trips: base64 decodes back to the bytes", () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251]);
    expect(Buffer.from(encodeData(bytes).data, "base64")).toEqual(bytes);
  });
});

describe("JSON shapes", () => {
  it("gives a block with hex ids and entries with their encoding", () => {
    const b = makeChain(3)[2]!;
    b.entries.push({ id: sha256(Buffer.from([0xff])), data: Buffer.from([0xff]) });
    expect(blockJson(b)).toEqual({
      height: 2,
      id: sha256("block 2").toString("hex"),
      parentId: sha256("block 1").toString("hex"),
      proposer: "peer-2",
      timestampMs: 1_700_000_002_000,
      entries: [
        { id: sha256("entry 2.0").toString("hex"), data: "entry 2.0", encoding: "utf8" },
        { id: sha256("entry 2.1").toString("hex"), data: "entry 2.1", encoding: "utf8" },
        { id: sha256(Buffer.from([0xff])).toString("hex"), data: "/w==", encoding: "base64" },
      ],
    });
  });

  it("prints ids as 64 lowercase hex characters", () => {
    expect(hex(Buffer.alloc(32, 0xab))).toBe("ab".repeat(32));
    expect(hex(Buffer.alloc(0))).toBe("");
  });

  it("gives status with the documented keys", () => {
    const s = statusJson(makeStatus());
    expect(Object.keys(s).sort()).toEqual(
      [
        "nodeId",
        "name",
        "address",
        "version",
        "height",
        "lastAcceptedId",
        "knownPeers",
        "livePeers",
        "mempoolSize",
        "processingBlocks",
        "syncing",
        "preferredHeight",
        "genesisId",
        "behaviour",
        "params",
      ].sort(),
    );
    expect(s).toMatchObject({ nodeId: "peer-0", height: 7, lastAcceptedId: sha256("block 7").toString("hex"), livePeers: 3 });
  });

  it("gives an entry's state, with height and block only when accepted", () => {
    const id = sha256("x");
    expect(entryStateJson(id, undefined)).toEqual({ id: id.toString("hex"), state: "unknown", height: null, blockId: null, data: null, encoding: null });
    expect(entryStateJson(id, { state: "ENTRY_STATE_PENDING", entry: { id, data: Buffer.from("x") }, height: 0, block_id: Buffer.alloc(0) })).toEqual({
      id: id.toString("hex"),
      state: "pending",
      height: null,
      blockId: null,
      data: "x",
      encoding: "utf8",
    });
    expect(
      entryStateJson(id, { state: "ENTRY_STATE_ACCEPTED", entry: { id, data: Buffer.from("x") }, height: 4, block_id: sha256("block 4") }),
    ).toMatchObject({ state: "accepted", height: 4, blockId: sha256("block 4").toString("hex") });
  });
});

describe("human output", () => {
  it("shows a block as a header line and one quoted line per entry", () => {
    const [header, ...entries] = formatBlock(blockJson(makeChain(3)[2]!));
    expect(header).toBe(
      `#2 ${sha256("block 2").toString("hex")} parent=${sha256("block 1").toString("hex")} proposer=peer-2 ` +
        `time=2023-11-14T22:13:22.000Z entries=2`,
    );
    expect(entries).toEqual([`  ${sha256("entry 2.0").toString("hex")} utf8   "entry 2.0"`, `  ${sha256("entry 2.1").toString("hex")} utf8   "entry 2.1"`]);
  });

  it("aligns status as name/value lines", () => {
    const lines = formatStatus(statusJson(makeStatus()));
    expect(lines).toContain("peers              3 live / 4 known");
    expect(lines).toContain("consensus          K=20 αP=15 αC=15 β=20 polls in flight 4, poll timeout 1000 ms, member grace 30000 ms, 4 undecided heights");
    expect(lines[0]).toBe("node id            peer-0");
  });
});
