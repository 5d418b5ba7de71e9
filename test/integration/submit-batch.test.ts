import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { SnowchainApi } from "../../src/cli/client";
import { SUBMIT_BATCH_LIMITS } from "../../src/wire/limits";
import type { SubmitBatchResponse__Output } from "../../src/wire/generated/snowchain/v1/SubmitBatchResponse";
import { Cluster, readChain, startPeer, type ClusterPeer } from "../utils/cluster";
import { sha256 } from "../utils/cli/fake-api";
import { freePort } from "../utils/ports";
import { ProcessNet } from "../utils/process-net";
import { waitFor } from "../utils/wait";

const MAX_ENTRY_BYTES = 1024;

function entries(prefix: string, n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}-${i}`));
}

function idOf(data: Buffer): string {
  return sha256(data).toString("hex");
}

/** The acknowledged ids of a batch's answer, in order; throws on a refused entry. */
function acknowledgedIds(res: SubmitBatchResponse__Output): string[] {
  return res.results.map((r, i) => {
    if (r.result !== "acknowledged") throw new Error(`entry ${i} refused: ${r.refused?.message}`);
    return r.acknowledged!.id.toString("hex");
  });
}

/** Until every peer's chain holds every id; then each peer's entry ids, accepted ones in chain order. */
async function acceptedEverywhere(apis: readonly SnowchainApi[], ids: readonly string[], timeoutMs = 60_000): Promise<string[][]> {
  return Promise.all(
    apis.map((api, i) =>
      waitFor(
        `peer-${i} to hold all ${ids.length} entries`,
        async () => {
          const got = (await readChain(api)).flatMap((b) => b.entries.map((e) => e.id.toString("hex")));
          const have = new Set(got);
          return ids.every((id) => have.has(id)) ? got : undefined;
        },
        timeoutMs,
        200,
      ),
    ),
  );
}

function expectEachOnce(chainIds: readonly string[], ids: readonly string[]): void {
  const count = new Map<string, number>();
  for (const id of chainIds) count.set(id, (count.get(id) ?? 0) + 1);
  expect(ids.filter((id) => count.get(id) !== 1)).toEqual([]);
}

describe("SubmitBatch over real gRPC", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start(3, { MAX_ENTRY_BYTES: String(MAX_ENTRY_BYTES) });
    await waitFor("every peer to see the others", async () => {
      const all = await Promise.all(cluster.peers.map((p) => p.api.status()));
      return all.every((s) => s.live_peers === 2) ? true : undefined;
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("acknowledges every entry with its id, and each is accepted exactly once on every peer, also when resent", async () => {
    const batch = entries("batch", 300);
    // A repeat inside the batch and a resend of the whole batch (a client whose answer was lost).
    const withRepeat = [...batch, batch[7]!];
    const first = acknowledgedIds(await cluster.peers[0]!.api.submitBatch(withRepeat));
    expect(first).toEqual(withRepeat.map(idOf));
    const again = await cluster.peers[1]!.api.submitBatch(batch);
    expect(acknowledgedIds(again)).toEqual(batch.map(idOf));

    const chains = await acceptedEverywhere(
      cluster.peers.map((p) => p.api),
      batch.map(idOf),
    );
    for (const chain of chains) expectEachOnce(chain, batch.map(idOf));

    // Once accepted, a resend says so, with the height.
    const late = await cluster.peers[2]!.api.submitBatch(batch.slice(0, 3));
    expect(late.results.every((r) => r.acknowledged?.accepted === true && Number(r.acknowledged.height) > 0)).toBe(true);
  });

  it("refuses bad entries one by one with their reason, and takes the others", async () => {
    const good = entries("mixed", 2);
    const res = await cluster.peers[0]!.api.submitBatch([good[0]!, Buffer.alloc(0), Buffer.alloc(MAX_ENTRY_BYTES + 1, 1), good[1]!]);
    expect(res.results.map((r) => r.result)).toEqual(["acknowledged", "refused", "refused", "acknowledged"]);
    expect(res.results[1]!.refused).toEqual({ code: grpc.status.INVALID_ARGUMENT, reason: "INVALID_ARGUMENT", message: "entry data is empty" });
    expect(res.results[2]!.refused).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "TOO_LARGE",
      message: `entry is ${MAX_ENTRY_BYTES + 1} bytes, limit ${MAX_ENTRY_BYTES}`,
    });
    const [chain] = await acceptedEverywhere([cluster.peers[0]!.api], good.map(idOf));
    expectEachOnce(chain!, good.map(idOf));
  });

  it("refuses a batch over its bounds as a whole, naming the bound, and keeps serving", async () => {
    const api = cluster.peers[1]!.api;
    const { maxEntries, maxBytes } = SUBMIT_BATCH_LIMITS;
    await expect(api.submitBatch(entries("many", maxEntries + 1))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: `batch of ${maxEntries + 1} entries is over SubmitBatch's limit of ${maxEntries} entries: split it`,
    });
    // Fewer entries than the bound, more bytes (the bound is checked before any entry's own size).
    const size = 8 * 1024;
    const big = Array.from({ length: Math.floor(maxBytes / size) + 1 }, (_, i) => Buffer.alloc(size, i % 251));
    const bytes = big.length * size;
    await expect(api.submitBatch(big)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: `batch of ${bytes} bytes of entries is over SubmitBatch's limit of ${maxBytes} bytes: split it`,
    });
    // Nothing of either was stored, and the peer goes on.
    expect((await api.getEntry(sha256(Buffer.from("many-0"))).catch((e: grpc.ServiceError) => e.code))).toBe(grpc.status.NOT_FOUND);
    expect(acknowledgedIds(await api.submitBatch([]))).toEqual([]);
    expect(acknowledgedIds(await api.submitBatch(entries("after", 1)))).toHaveLength(1);
  });
});

describe("SubmitBatch against a full mempool", () => {
  let dir: string;
  let peer: ClusterPeer;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-batch-full-"));
    // Its seed never answers: it never joins, never proposes, so its mempool only fills.
    peer = await startPeer(dir, 0, await freePort(), `127.0.0.1:${await freePort()}`, { MEMPOOL_MAX_ENTRIES: "5" });
  });
  afterAll(async () => {
    peer?.api.close();
    await peer?.node.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("acknowledges what fits and refuses the rest entry by entry, RESOURCE_EXHAUSTED", async () => {
    const res = await peer.api.submitBatch(entries("full", 8));
    expect(res.results.slice(0, 5).every((r) => r.result === "acknowledged")).toBe(true);
    for (const r of res.results.slice(5)) {
      expect(r.refused).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, reason: "OVERLOADED" });
      expect(r.refused!.message).toMatch(/^mempool full \(5 entries, \d+ bytes; limits 5 entries/);
    }
    expect((await peer.api.status()).mempool_size).toBe(5);
  });
});

describe("SubmitBatch to peer processes killed with SIGKILL", () => {
  let p: ProcessNet;

  beforeAll(async () => {
    p = await ProcessNet.start(3);
    await waitFor("peer-0 to see 2 live peers", async () => ((await p.api(0).status()).live_peers === 2 ? true : undefined));
  });
  afterAll(async () => {
    await p?.stop();
  });

  const apis = (): SnowchainApi[] => [0, 1, 2].map((i) => p.api(i));

  it("loses no entry of an acknowledged batch when the peer is SIGKILLed right after answering", async () => {
    const batch = entries("killed-after-ack", 500);
    const ids = acknowledgedIds(await p.api(1).submitBatch(batch));
    await p.net.kill(1);
    await p.net.restart(1);
    for (const chain of await acceptedEverywhere(apis(), ids)) expectEachOnce(chain, ids);
  });

  it("accepts each entry exactly once when a batch is resent after the peer died before answering", async () => {
    const batch = entries("killed-in-flight", 500);
    // Killed while the batch may be on its way, in the journal or in a proposal: its answer is lost.
    const inFlight = p.api(2).submitBatch(batch).then(
      () => "answered",
      (err: grpc.ServiceError) => grpc.status[err.code],
    );
    await p.net.kill(2);
    expect(["answered", "UNAVAILABLE", "CANCELLED", "INTERNAL"]).toContain(await inFlight);
    await p.net.restart(2);
    const ids = acknowledgedIds(await p.api(2).submitBatch(batch));
    expect(ids).toEqual(batch.map(idOf));
    for (const chain of await acceptedEverywhere(apis(), ids)) expectEachOnce(chain, ids);
  });
});
