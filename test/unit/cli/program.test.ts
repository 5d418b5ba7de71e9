import * as grpc from "@grpc/grpc-js";
import { makeChain, serviceError, sha256 } from "../../utils/cli/fake-api";
import { FakeContext, runWith } from "../../utils/cli/fake-context";
import { flushPromises } from "../../utils/cli/fake-clock";

function setup(): FakeContext {
  return new FakeContext();
}

describe("bad command lines exit 2 with one line and send nothing", () => {
  it.each([
    [["chain", "--from", "x"], /^error: option '--from <height>' argument 'x' is invalid\. "x" is not a height/],
    [["chain", "--from", "5", "--to", "2"], /^error: --to 2 is below --from 5$/],
    [["status", "--addr", "nohost"], /^error: option '--addr <host:port>' argument 'nohost' is invalid/],
    [["entry", "abc"], /invalid for argument 'id'\. "abc" is not an id \(64 hex characters\)$/],
    [["submit"], /^error: give the entry as exactly one of: <text>, --file <path>, --stdin$/],
    [["submit", "text", "--stdin"], /exactly one of/],
    [["submit", "--file", "/nope"], /^error: --file \/nope: cannot read it \(ENOENT\)$/],
    [["submit", "x", "--wait", "--timeout", "0"], /argument '0' is invalid/],
    [["load", "--rate", "0"], /argument '0' is invalid/],
    [["load"], /required option '--rate <entries\/s>' not specified/],
    [["load", "--rate", "5", "--size", "3"], /argument '3' is invalid\. "3" must be a whole number from 24/],
    [["watch", "--from", "-1"], /unknown option '-1'|is invalid/],
    [["bogus"], /unknown command 'bogus'/],
    [["status", "extra"], /too many arguments/],
  ])("snowchain %j", async (args, message) => {
    const ctx = setup();
    const r = await runWith(ctx, ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr.join("\n")).toMatch(message);
    expect(r.stderr[0]!.split("\n")).toHaveLength(1);
    expect(ctx.api.calls).toEqual([]);
  });

  it("rejects a bad SNOWCHAIN_ADDR, naming it", async () => {
    const ctx = setup();
    ctx.env.SNOWCHAIN_ADDR = "peer";
    const r = await runWith(ctx, "status");
    expect(r).toMatchObject({ code: 2, stderr: ['error: SNOWCHAIN_ADDR: "peer" is not host:port (IPv6 as [addr]:port)'] });
  });

  it("prints the version and help with exit 0", async () => {
    const ctx = setup();
    expect((await runWith(ctx, "--version")).code).toBe(0);
    expect(ctx.stdout).toEqual(["0.1.0-test"]);
    expect((await runWith(ctx, "submit", "--help")).code).toBe(0);
    expect(ctx.stdout.join("\n")).toMatch(/--wait/);
  });
});

describe("gRPC failures exit 1 with the status name and details", () => {
  it("prints UNAVAILABLE without grpc-js's wrapping", async () => {
    const ctx = setup();
    ctx.api.failWith = serviceError(
      grpc.status.UNAVAILABLE,
      "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:50051. Resolution note: ",
    );
    const r = await runWith(ctx, "status");
    expect(r).toMatchObject({ code: 1, stdout: [], stderr: ["error: UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:50051"] });
    expect(ctx.api.closed).toBe(true);
  });

  it("prints an INVALID_ARGUMENT from the peer", async () => {
    const ctx = setup();
    ctx.api.onSubmit = async () => {
      throw serviceError(grpc.status.INVALID_ARGUMENT, "entry of 70000 bytes exceeds 65536");
    };
    const r = await runWith(ctx, "submit", "big");
    expect(r).toMatchObject({ code: 1, stderr: ["error: INVALID_ARGUMENT: entry of 70000 bytes exceeds 65536"] });
  });
});

describe("client commands call the chosen peer", () => {
  it("uses --addr, else SNOWCHAIN_ADDR, else 127.0.0.1:50051", async () => {
    const ctx = setup();
    await runWith(ctx, "status");
    ctx.env.SNOWCHAIN_ADDR = "peer:7000";
    await runWith(ctx, "status");
    await runWith(ctx, "status", "--addr", "[::1]:9");
    expect(ctx.connected).toEqual(["127.0.0.1:50051", "peer:7000", "[::1]:9"]);
  });
});

describe("submit", () => {
  it("prints the entry id of the text", async () => {
    const ctx = setup();
    const r = await runWith(ctx, "submit", "hello");
    expect(r).toMatchObject({ code: 0, stdout: [sha256("hello").toString("hex")] });
    expect(ctx.api.calls[0]).toEqual({ method: "submit", args: [Buffer.from("hello"), {}] });
  });

  it("with --wait waits for acceptance with the --timeout deadline and prints the height", async () => {
    const ctx = setup();
    const r = await runWith(ctx, "submit", "hello", "--wait", "--timeout", "2.5");
    expect(r.stdout).toEqual([sha256("hello").toString("hex"), "accepted at height 3"]);
    expect(ctx.api.calls[0]!.args[1]).toEqual({ waitForAcceptance: true, timeoutMs: 2500 });
  });

  it("waits 60 s by default", async () => {
    const ctx = setup();
    await runWith(ctx, "submit", "hello", "--wait");
    expect(ctx.api.calls[0]!.args[1]).toEqual({ waitForAcceptance: true, timeoutMs: 60_000 });
  });

  it("names the entry when it is not accepted in time, exit 1", async () => {
    const ctx = setup();
    ctx.api.onSubmit = async () => {
      throw serviceError(grpc.status.DEADLINE_EXCEEDED, "Deadline exceeded");
    };
    const r = await runWith(ctx, "submit", "slow", "--wait", "--timeout", "1");
    const id = sha256("slow").toString("hex");
    expect(r).toMatchObject({ code: 1, stderr: [`error: entry ${id} not accepted within 1 s (see later: snowchain entry ${id})`] });
  });

  it("submits a file's bytes or standard input's", async () => {
    const ctx = setup();
    ctx.files.set("/data.bin", Buffer.from([0, 1, 2]));
    ctx.stdinData = Buffer.from("piped\n");
    await runWith(ctx, "submit", "--file", "/data.bin");
    await runWith(ctx, "submit", "--stdin");
    expect(ctx.api.calls.map((c) => c.args[0])).toEqual([Buffer.from([0, 1, 2]), Buffer.from("piped\n")]);
  });

  it("--json gives id, accepted and height", async () => {
    const ctx = setup();
    await runWith(ctx, "submit", "a", "--json");
    await runWith(ctx, "submit", "b", "--json", "--wait");
    expect(ctx.stdout.map((l) => JSON.parse(l))).toEqual([
      { id: sha256("a").toString("hex"), accepted: false, height: null },
      { id: sha256("b").toString("hex"), accepted: true, height: 3 },
    ]);
  });
});

describe("status", () => {
  it("prints name/value lines, or one JSON object", async () => {
    const ctx = setup();
    await runWith(ctx, "status");
    expect(ctx.stdout).toContain("height             7");
    ctx.stdout.length = 0;
    await runWith(ctx, "status", "--json");
    expect(JSON.parse(ctx.stdout[0]!)).toMatchObject({ nodeId: "peer-0", height: 7, livePeers: 3, preferredHeight: 9 });
  });
});

describe("chain", () => {
  it("pages through GetChain until the last accepted block", async () => {
    const ctx = setup();
    ctx.api.blocks = makeChain(5);
    ctx.api.pageSize = 2;
    const r = await runWith(ctx, "chain", "--json");
    expect(r.code).toBe(0);
    const blocks = JSON.parse(r.stdout.join("\n")) as Array<{ height: number }>;
    expect(blocks.map((b) => b.height)).toEqual([0, 1, 2, 3, 4]);
    expect(ctx.api.calls.map((c) => c.args)).toEqual([
      [0, 0],
      [2, 0],
      [4, 0],
    ]);
  });

  it("stops at --to and starts at --from", async () => {
    const ctx = setup();
    ctx.api.blocks = makeChain(10);
    ctx.api.pageSize = 3;
    await runWith(ctx, "chain", "--from", "2", "--to", "6", "--json");
    expect((JSON.parse(ctx.stdout.join("")) as Array<{ height: number }>).map((b) => b.height)).toEqual([2, 3, 4, 5, 6]);
    expect(ctx.api.calls.map((c) => c.args)).toEqual([
      [2, 6],
      [5, 6],
    ]);
  });

  it("prints an empty JSON array past the tip", async () => {
    const ctx = setup();
    await runWith(ctx, "chain", "--from", "99", "--json");
    expect(JSON.parse(ctx.stdout.join(""))).toEqual([]);
  });

  it("prints each block with its entries for people", async () => {
    const ctx = setup();
    ctx.api.blocks = makeChain(3);
    await runWith(ctx, "chain");
    expect(ctx.stdout.filter((l) => l.startsWith("#")).map((l) => l.split(" ")[0])).toEqual(["#0", "#1", "#2"]);
    expect(ctx.stdout).toContain(`  ${sha256("entry 2.1").toString("hex")} utf8   "entry 2.1"`);
  });
});

describe("watch", () => {
  it("prints blocks as they come and ends cleanly on Ctrl-C", async () => {
    const ctx = setup();
    ctx.api.watchSends = makeChain(3).slice(1);
    const run = runWith(ctx, "watch", "--from", "1", "--json");
    await flushPromises();
    expect(ctx.stdout.map((l) => (JSON.parse(l) as { height: number }).height)).toEqual([1, 2]);
    ctx.interrupt();
    expect((await run).code).toBe(0);
    expect(ctx.api.calls[0]).toEqual({ method: "watchBlocks", args: [1] });
    expect(ctx.interruptListeners).toBe(0);
    expect(ctx.api.closed).toBe(true);
  });

  it("asks only for new blocks without --from", async () => {
    const ctx = setup();
    const run = runWith(ctx, "watch");
    await flushPromises();
    ctx.interrupt();
    await run;
    expect(ctx.api.calls[0]).toEqual({ method: "watchBlocks", args: [undefined] });
  });
});

describe("entry", () => {
  const id = sha256("e");
  const idHex = id.toString("hex");

  it("shows an accepted entry's height and block", async () => {
    const ctx = setup();
    ctx.api.entries.set(idHex, { state: "ENTRY_STATE_ACCEPTED", entry: { id, data: Buffer.from("e") }, height: 4, block_id: sha256("block 4") });
    await runWith(ctx, "entry", idHex);
    expect(ctx.stdout).toEqual([`entry   ${idHex}`, "state   accepted", "height  4", `block   ${sha256("block 4").toString("hex")}`, 'data    utf8 "e"']);
  });

  it("reports a NOT_FOUND as the unknown state, exit 0", async () => {
    const ctx = setup();
    const r = await runWith(ctx, "entry", idHex.toUpperCase(), "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout[0]!)).toEqual({ id: idHex, state: "unknown", height: null, blockId: null, data: null, encoding: null });
  });
});

describe("peer", () => {
  it("takes its configuration from the environment, not from arguments", async () => {
    const ctx = setup();
    const r = await runWith(ctx, "peer", "extra");
    expect(r.code).toBe(2);
    expect(r.stderr.join("\n")).toMatch(/too many arguments/);
  });
});
