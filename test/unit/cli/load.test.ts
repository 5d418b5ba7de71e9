import * as grpc from "@grpc/grpc-js";
import { formatLoadStats } from "../../../src/cli/commands/load";
import { MIN_ENTRY_SIZE, loadEntryData, newRunId } from "../../../src/cli/load/data";
import { RatePacer } from "../../../src/cli/load/pacer";
import { LoadRunner, type BatchOutcome, type LoadStats, type LoadTarget } from "../../../src/cli/load/runner";
import { PeerSubmitter, PeerTargets } from "../../../src/cli/load/targets";
import { FakeApi, serviceError } from "../../utils/cli/fake-api";
import { FakeClock } from "../../utils/cli/fake-clock";
import { FakeContext, runWith } from "../../utils/cli/fake-context";

describe("RatePacer", () => {
  it("makes slot k due at start + k/rate", () => {
    const p = new RatePacer(10, 1000);
    expect(p.scheduledBy(999)).toBe(0);
    expect(p.scheduledBy(1000)).toBe(1);
    expect(p.scheduledBy(1099)).toBe(1);
    expect(p.scheduledBy(1100)).toBe(2);
    expect(p.scheduledBy(2000)).toBe(11);
  });

  it("keeps exact times at rates that are not divisors of 1000", () => {
    const p = new RatePacer(3, 0);
    expect([0, 333, 334, 666, 667, 1000].map((t) => p.scheduledBy(t))).toEqual([1, 1, 2, 2, 3, 4]);
  });

  it("hands out each due slot once and says when the next is due", () => {
    const p = new RatePacer(4, 0);
    expect(p.poll(0)).toEqual({ due: 1, skipped: 0 });
    p.take(1);
    expect(p.poll(0)).toEqual({ due: 0, skipped: 0 });
    expect(p.nextDueMs()).toBe(250);
    expect(p.poll(600)).toEqual({ due: 2, skipped: 0 });
  });

  it("drops slots beyond the backlog as skipped, so a stall is not followed by a burst", () => {
    const p = new RatePacer(100, 0, { maxBacklog: 10 });
    expect(p.poll(990)).toEqual({ due: 10, skipped: 90 });
    p.take(10);
    expect(p.poll(990)).toEqual({ due: 0, skipped: 0 });
  });

  it("stops at the limit", () => {
    const p = new RatePacer(10, 0, { limit: 3 });
    expect(p.poll(10_000).due).toBe(3);
    p.take(3);
    expect(p.exhausted).toBe(true);
  });
});

/**
 * A peer that answers after `latencyMs` of fake time, or fails with `failWith`; with `batches`
 * it takes submitBatch calls too, refusing the entries `refuse` names with its reason.
 */
class FakeTarget implements LoadTarget {
  readonly sent: Array<{ at: number; data: Buffer }> = [];
  /** Entries per call, in call order (1 for a submit). */
  readonly callSizes: number[] = [];
  latencyMs = 0;
  failWith?: Error;
  never = false;
  batches = false;
  refuse: (data: Buffer) => string | undefined = () => undefined;
  constructor(
    readonly addr: string,
    private readonly clock: FakeClock,
  ) {}
  submit(data: Buffer): Promise<unknown> {
    return this.answer([data], {});
  }
  submitBatch(data: readonly Buffer[]): Promise<BatchOutcome> {
    return this.answer(data, data.map((d) => this.refuse(d)));
  }
  private answer<T>(data: readonly Buffer[], value: T): Promise<T> {
    this.callSizes.push(data.length);
    for (const d of data) this.sent.push({ at: this.clock.now(), data: d });
    if (this.never) return new Promise(() => undefined);
    return new Promise((resolve, reject) =>
      this.clock.setTimeout(() => (this.failWith ? reject(this.failWith) : resolve(value)), this.latencyMs),
    );
  }
}

interface RunnerOptions {
  rate: number;
  duration?: number;
  concurrency?: number;
  batch?: number;
  lingerMs?: number;
  room?: () => number;
}

function runner(clock: FakeClock, target: LoadTarget | undefined, opts: RunnerOptions) {
  const reports: Array<{ stats: LoadStats; final: boolean }> = [];
  const outcomes = new Map<number, string | undefined>();
  const r = new LoadRunner(
    { ratePerSec: opts.rate, durationSec: opts.duration, concurrency: opts.concurrency ?? 100, reportEveryMs: 5000, batch: opts.batch, lingerMs: opts.lingerMs },
    {
      now: clock.now,
      timers: clock,
      pickTarget: () => target,
      makeData: (seq) => Buffer.from(`e${seq}`),
      report: (stats, final) => reports.push({ stats, final }),
      targetCount: () => (target ? 1 : 0),
      room: opts.room,
      settled: (seq, reason) => outcomes.set(seq, reason),
    },
  );
  return { r, reports, outcomes };
}

describe("LoadRunner pacing (fake clock)", () => {
  it("sends R entries per second, evenly spaced, for the duration", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.latencyMs = 5;
    const { r } = runner(clock, t, { rate: 20, duration: 2 });
    const done = r.run();
    await clock.advance(3000);
    const stats = await done;
    expect(t.sent).toHaveLength(40);
    expect(t.sent.map((s) => s.at)).toEqual(Array.from({ length: 40 }, (_, k) => k * 50));
    expect(stats).toMatchObject({ submitted: 40, ok: 40, errors: 0, skipped: 0, inflight: 0 });
  });

  it("sends unique data for every entry", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    const { r } = runner(clock, t, { rate: 100, duration: 1 });
    const done = r.run();
    await clock.advance(2000);
    await done;
    expect(new Set(t.sent.map((s) => s.data.toString())).size).toBe(100);
  });

  it("sends a batch per wake-up at high rates instead of one timer per entry", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    const { r } = runner(clock, t, { rate: 10_000, duration: 0.1, concurrency: 10_000 });
    const done = r.run();
    await clock.advance(200);
    await done;
    expect(t.sent).toHaveLength(1000);
    expect(new Set(t.sent.map((s) => s.at)).size).toBeLessThanOrEqual(101);
  });

  it("never has more than --concurrency calls in flight, and skips what waits longer than a second", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.latencyMs = 3000;
    const { r } = runner(clock, t, { rate: 10, duration: 6, concurrency: 5 });
    const done = r.run();
    await clock.advance(2999);
    expect(t.sent).toHaveLength(5);
    expect(r.stats().inflight).toBe(5);
    await clock.advance(20_000);
    const stats = await done;
    expect(stats.submitted + stats.skipped).toBe(60);
    expect(stats.skipped).toBeGreaterThan(0);
    expect(stats.ok).toBe(stats.submitted);
  });

  it("counts errors by status name", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.failWith = serviceError(grpc.status.RESOURCE_EXHAUSTED, "mempool full");
    const { r } = runner(clock, t, { rate: 10, duration: 1 });
    const done = r.run();
    await clock.advance(2000);
    expect(await done).toMatchObject({ submitted: 10, ok: 0, errors: 10, errorsByReason: { RESOURCE_EXHAUSTED: 10 } });
  });

  it("counts entries with no peer to send to as errors", async () => {
    const clock = new FakeClock(0);
    const { r } = runner(clock, undefined, { rate: 10, duration: 0.5 });
    const done = r.run();
    await clock.advance(1000);
    expect(await done).toMatchObject({ submitted: 5, errors: 5, errorsByReason: { "no address": 5 } });
  });

  it("reports every 5 s and once at the end", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    const { r, reports } = runner(clock, t, { rate: 1, duration: 12 });
    const done = r.run();
    await clock.advance(20_000);
    await done;
    expect(reports.map((x) => [x.final, x.stats.elapsedMs])).toEqual([
      [false, 5000],
      [false, 10_000],
      [true, 11_000],
    ]);
  });

  it("stops on stop() and waits for the calls in flight", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.latencyMs = 500;
    const { r, reports } = runner(clock, t, { rate: 10 });
    let finished = false;
    const done = r.run().then((s) => ((finished = true), s));
    await clock.advance(1000);
    r.stop();
    await clock.advance(100);
    expect(finished).toBe(false);
    await clock.advance(1000);
    const stats = await done;
    expect(stats).toMatchObject({ submitted: 11, ok: 11, inflight: 0 });
    expect(reports.at(-1)!.final).toBe(true);
    expect(clock.timerCount).toBe(0);
  });
});

describe("LoadRunner batching (fake clock)", () => {
  it("sends an entry due alone in a plain submit, however large the batch may be", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.batches = true;
    const { r } = runner(clock, t, { rate: 20, duration: 1, batch: 100, lingerMs: 5 });
    const done = r.run();
    await clock.advance(2000);
    const stats = await done;
    expect(t.callSizes).toEqual(new Array(20).fill(1));
    expect(t.sent.map((s) => s.at)).toEqual(Array.from({ length: 20 }, (_, k) => k * 50));
    expect(stats.calls).toEqual({ Submit: 20, SubmitBatch: 0 });
  });

  it("puts the entries due within one linger in one call, and none waits longer", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.batches = true;
    const { r, outcomes } = runner(clock, t, { rate: 2000, duration: 0.1, batch: 100, lingerMs: 5 });
    const done = r.run();
    await clock.advance(1000);
    const stats = await done;
    expect(stats).toMatchObject({ submitted: 200, ok: 200, errors: 0 });
    // The first is due alone at 0; then every 5 ms the 10 that fell due meanwhile.
    expect(t.callSizes).toEqual([1, ...new Array(19).fill(10), 9]);
    expect(stats.calls.SubmitBatch).toBe(t.callSizes.length - 1);
    for (let seq = 0; seq < 200; seq++) expect(t.sent[seq]!.at - seq / 2).toBeLessThanOrEqual(5);
    expect([...outcomes.keys()]).toHaveLength(200);
  });

  it("fills whole batches when calls are the limit, never more than --concurrency calls in flight", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.batches = true;
    t.latencyMs = 100;
    const { r } = runner(clock, t, { rate: 1_000_000, batch: 50, concurrency: 3 });
    const done = r.run();
    await clock.advance(99);
    expect(r.stats().inflight).toBe(3);
    await clock.advance(300);
    r.stop();
    await clock.advance(100);
    const stats = await done;
    expect(t.callSizes.slice(1, 4)).toEqual([50, 50, 50]);
    expect(Math.max(...t.callSizes)).toBe(50);
    expect(stats.ok).toBe(stats.submitted);
  });

  it("counts each refused entry of a batch by its reason, and a failed call for every entry in it", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.batches = true;
    t.refuse = (d) => (d.toString().endsWith("3") ? "RESOURCE_EXHAUSTED" : undefined);
    const { r, outcomes } = runner(clock, t, { rate: 1000, duration: 0.1, batch: 100, lingerMs: 10 });
    const done = r.run();
    await clock.advance(1000);
    const stats = await done;
    expect(stats).toMatchObject({ submitted: 100, ok: 90, errors: 10, errorsByReason: { RESOURCE_EXHAUSTED: 10 } });
    expect(outcomes.get(13)).toBe("RESOURCE_EXHAUSTED");
    expect(outcomes.get(14)).toBeUndefined();

    const c2 = new FakeClock(0);
    const down = new FakeTarget("b:1", c2);
    down.batches = true;
    down.failWith = serviceError(grpc.status.UNAVAILABLE, "gone");
    const failing = runner(c2, down, { rate: 1000, duration: 0.05, batch: 100, lingerMs: 10 });
    const failed = failing.r.run();
    await c2.advance(1000);
    expect(await failed).toMatchObject({ submitted: 50, ok: 0, errors: 50, errorsByReason: { UNAVAILABLE: 50 } });
  });

  it("holds entries back while the caller's room is used up, until wake()", async () => {
    const clock = new FakeClock(0);
    const t = new FakeTarget("a:1", clock);
    t.batches = true;
    let room = 30;
    const { r } = runner(clock, t, { rate: 1_000_000, batch: 20, room: () => room - t.sent.length });
    const done = r.run();
    await clock.advance(1000);
    expect(t.sent).toHaveLength(30);
    room = 45;
    r.wake();
    await clock.advance(1000);
    expect(t.sent).toHaveLength(45);
    r.stop();
    await done;
  });
});

describe("PeerSubmitter", () => {
  it("answers refused entries of a batch with the status a Submit of each would get", async () => {
    const api = new FakeApi();
    api.onSubmit = async (data) => {
      if (data.length === 0) throw serviceError(grpc.status.INVALID_ARGUMENT, "entry data is empty");
      return { id: Buffer.alloc(32), accepted: false, height: 0 };
    };
    const s = new PeerSubmitter("a:1", api, 1000);
    expect(await s.submitBatch([Buffer.from("a"), Buffer.alloc(0)])).toEqual([undefined, "INVALID_ARGUMENT"]);
    expect(api.calls[0]).toEqual({ method: "submitBatch", args: [[Buffer.from("a"), Buffer.alloc(0)], { timeoutMs: 1000 }] });
  });

  it("falls back to one Submit per entry, for good, when the peer has no SubmitBatch (an older build)", async () => {
    const api = new FakeApi();
    const submitBatch = api.submitBatch.bind(api);
    api.submitBatch = async (entries, opts) => {
      await submitBatch(entries, opts);
      throw serviceError(grpc.status.UNIMPLEMENTED, "The server does not implement the method SubmitBatch");
    };
    const s = new PeerSubmitter("a:1", api, 1000);
    expect(s.batches).toBe(true);
    expect(await s.submitBatch([Buffer.from("a"), Buffer.from("b")])).toEqual([undefined, undefined]);
    expect(s.batches).toBe(false);
    expect(api.calls.map((c) => c.method)).toEqual(["submitBatch", "submit", "submit"]);
  });

  it("lets any other failure of the call fail the batch", async () => {
    const api = new FakeApi();
    api.failWith = serviceError(grpc.status.UNAVAILABLE, "down");
    const s = new PeerSubmitter("a:1", api, 1000);
    await expect(s.submitBatch([Buffer.from("a")])).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(s.batches).toBe(true);
  });
});

describe("PeerTargets", () => {
  function targets(ctx: FakeContext) {
    const apis = new Map<string, FakeApi>();
    ctx.connectTo = (addr) => {
      const api = new FakeApi();
      apis.set(addr, api);
      return api;
    };
    const t = new PeerTargets({ host: "peer", port: 50051 }, ctx, 1000, 5000);
    return { t, apis };
  }

  it("resolves the host name to all its addresses and picks among them at random", async () => {
    const ctx = new FakeContext();
    ctx.dns.set("peer", ["10.0.0.2", "10.0.0.3", "fd00::4"]);
    const { t } = targets(ctx);
    await t.start();
    expect(t.addresses()).toEqual(["10.0.0.2:50051", "10.0.0.3:50051", "[fd00::4]:50051"]);
    ctx.randomValues = [0, 0.5, 0.99];
    expect([t.pick()!.addr, t.pick()!.addr, t.pick()!.addr]).toEqual(["10.0.0.2:50051", "10.0.0.3:50051", "[fd00::4]:50051"]);
    t.close();
  });

  it("follows replicas that come and go, closing the channels of those gone", async () => {
    const ctx = new FakeContext();
    ctx.dns.set("peer", ["10.0.0.2", "10.0.0.3"]);
    const { t, apis } = targets(ctx);
    await t.start();
    ctx.dns.set("peer", ["10.0.0.3", "10.0.0.5"]);
    await ctx.clock.advance(5000);
    expect(t.addresses()).toEqual(["10.0.0.3:50051", "10.0.0.5:50051"]);
    expect(apis.get("10.0.0.2:50051")!.closed).toBe(true);
    expect(apis.get("10.0.0.3:50051")!.closed).toBe(false);
    t.close();
    expect(apis.get("10.0.0.5:50051")!.closed).toBe(true);
    expect(ctx.clock.timerCount).toBe(0);
  });

  it("keeps the known peers when a lookup fails, and starts with none when the first does", async () => {
    const ctx = new FakeContext();
    const { t } = targets(ctx);
    await t.start();
    expect(t.size).toBe(0);
    expect(t.pick()).toBeUndefined();
    ctx.dns.set("peer", ["10.0.0.2"]);
    await ctx.clock.advance(5000);
    expect(t.size).toBe(1);
    ctx.dns.delete("peer");
    await ctx.clock.advance(5000);
    expect(t.size).toBe(1);
    expect((t.lastError as { code?: string }).code).toBe("ENOTFOUND");
    t.close();
  });

  it("sends submits with the call deadline", async () => {
    const ctx = new FakeContext();
    ctx.dns.set("peer", ["10.0.0.2"]);
    const { t, apis } = targets(ctx);
    await t.start();
    await t.pick()!.submit(Buffer.from("x"));
    expect(apis.get("10.0.0.2:50051")!.calls[0]).toEqual({ method: "submit", args: [Buffer.from("x"), { timeoutMs: 1000 }] });
    t.close();
  });
});

describe("load entry data", () => {
  it("is exactly --size bytes of printable text, unique per sequence number", () => {
    const run = newRunId(1_700_000_000_000, () => 0.123);
    const a = loadEntryData(run, 0, 128);
    const b = loadEntryData(run, 1, 128);
    expect(a.length).toBe(128);
    expect(a.equals(b)).toBe(false);
    expect(a.toString()).toMatch(/^[a-z0-9 ]+$/);
    expect(loadEntryData(run, 36 ** 9 - 1, MIN_ENTRY_SIZE).length).toBe(MIN_ENTRY_SIZE);
  });

  it("differs between runs", () => {
    expect(newRunId(1, () => 0.1)).not.toBe(newRunId(1, () => 0.2));
  });
});

describe("snowchain load", () => {
  it("spreads entries over every address of the name and prints a summary at the end", async () => {
    const ctx = new FakeContext();
    ctx.dns.set("peer", ["10.0.0.2", "10.0.0.3"]);
    const apis = new Map<string, FakeApi>();
    ctx.connectTo = (addr) => apis.set(addr, new FakeApi()).get(addr)!;
    ctx.randomValues = Array.from({ length: 100 }, (_, k) => (k % 2) * 0.6);
    const run = runWith(ctx, "load", "--addr", "peer:50051", "--rate", "10", "--duration", "2", "--size", "64");
    await ctx.clock.advance(3000);
    const r = await run;
    expect(r.code).toBe(0);
    expect(apis.get("10.0.0.2:50051")!.calls).toHaveLength(10);
    expect(apis.get("10.0.0.3:50051")!.calls).toHaveLength(10);
    expect((apis.get("10.0.0.2:50051")!.calls[0]!.args[0] as Buffer).length).toBe(64);
    expect(r.stdout.at(-1)).toBe("load done after 1.9s: submitted 20 ok 20 errors 0 inflight 0 | 10.5 ok/s | 2 peer(s)");
    expect([...apis.values()].every((a) => a.closed)).toBe(true);
  });

  it("ends on Ctrl-C", async () => {
    const ctx = new FakeContext();
    ctx.dns.set("127.0.0.1", ["127.0.0.1"]);
    const run = runWith(ctx, "load", "--rate", "5", "--json");
    await ctx.clock.advance(1000);
    ctx.interrupt();
    const r = await run;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.at(-1)!)).toMatchObject({ final: true, submitted: 6, ok: 6, errors: 0 });
  });

  it("exits 1 when no peer acknowledged anything, saying why", async () => {
    const ctx = new FakeContext();
    const run = runWith(ctx, "load", "--addr", "nowhere:1", "--rate", "10", "--duration", "1");
    await ctx.clock.advance(2000);
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("load: cannot resolve nowhere (ENOTFOUND); trying again every few seconds");
    expect(r.stderr.at(-1)).toBe("error: no entry was acknowledged by any peer");
    expect(r.stdout.at(-1)).toMatch(/errors: no address 10$/);
  });

  it("batches entries due together at a high rate and says how many shared a call", async () => {
    const ctx = new FakeContext();
    ctx.dns.set("peer", ["10.0.0.2"]);
    const run = runWith(ctx, "load", "--addr", "peer:50051", "--rate", "1000", "--duration", "1", "--batch", "20");
    await ctx.clock.advance(2000);
    const r = await run;
    expect(r.code).toBe(0);
    const sizes = ctx.api.calls.map((c) => (c.method === "submitBatch" ? (c.args[0] as Buffer[]).length : 1));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...sizes)).toBe(5);
    expect(r.stdout.at(-1)).toMatch(/ok 1000 errors 0 .* \| \d+ calls, 5\.0 entries\/call$/);
  });

  it("refuses a --batch beyond what one SubmitBatch takes", async () => {
    const r = await runWith(new FakeContext(), "load", "--rate", "10", "--batch", "1001");
    expect(r.code).toBe(2);
    expect(r.stderr.join("\n")).toMatch(/--batch/);
  });

  it("formats errors by reason, most frequent first", () => {
    const line = formatLoadStats(
      { elapsedMs: 5000, submitted: 10, ok: 5, calls: { Submit: 10, SubmitBatch: 0 }, errors: 5, skipped: 1, inflight: 0, errorsByReason: { UNAVAILABLE: 1, DEADLINE_EXCEEDED: 4 }, targets: 3 },
      false,
    );
    expect(line).toBe("load 5.0s: submitted 10 ok 5 errors 5 skipped 1 inflight 0 | 1.0 ok/s | 3 peer(s) | errors: DEADLINE_EXCEEDED 4, UNAVAILABLE 1");
  });
});
