import type * as grpc from "@grpc/grpc-js";
import { v1 } from "../../src/wire/proto";
import { SESSION_METADATA } from "../../src/wire/peer-info";
import { QUERY_STREAM_BACKLOG, WATCH_LIMITS } from "../../src/wire/limits";
import { Cluster, type ClusterPeer } from "../utils/cluster";
import { MiB, retainedBytes } from "../utils/memory";
import { joinAs, type TestMember } from "../utils/p2p/member";
import { StalledClient } from "../utils/grpc/stalled";
import { waitFor } from "../utils/wait";

/** Big enough that every block of the history is a page's worth of objects to the old code. */
const ENTRIES_PER_BLOCK = 1000;
const HISTORY_BLOCKS = 48;
const RESOURCE_EXHAUSTED = 8;

const service = (ctor: unknown): grpc.ServiceDefinition => (ctor as grpc.ServiceClientConstructor).service;
const queryStream = service(v1.MessageManager).QueryStream!;
const watchBlocks = service(v1.Client).WatchBlocks!;

/** The value of a counter series of the peer's registry, 0 when absent. */
async function counterValue(peer: ClusterPeer, name: string, labels: Record<string, string>): Promise<number> {
  const metric = peer.node.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}

/**
 * Callers that open a stream and never read it (no HTTP/2 window, nothing consumed) must cost
 * a peer a bounded amount of memory, and learn why they were cut off. The peer runs in this
 * process, so its heap is this process's heap.
 */
describe("streams of callers that never read", () => {
  let cluster: Cluster;
  let peer: ClusterPeer;
  let height = 0;

  beforeAll(async () => {
    cluster = await Cluster.start(1, { MAX_BLOCK_ENTRIES: String(ENTRIES_PER_BLOCK), MAX_ENTRY_BYTES: "64" });
    peer = cluster.peers[0]!;
    // A history of blocks with many entries each: what the old WatchBlocks wrote whole, at once.
    for (let b = 0; b < HISTORY_BLOCKS; b++) {
      await peer.api.submitBatch(Array.from({ length: ENTRIES_PER_BLOCK }, (_, i) => Buffer.from(`block-${b}-entry-${i}`)));
      height = await waitFor(`block ${b + 1}`, async () => {
        const h = (await peer.api.status()).height;
        return h > height ? h : undefined;
      });
    }
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  describe("WatchBlocks", () => {
    it("keeps a bounded buffer per watcher, refuses watchers past the per-caller bound, and still serves the whole history to a reader", async () => {
      const opened = WATCH_LIMITS.maxPerCaller + 4;
      const before = retainedBytes();
      const stalled = new StalledClient(peer.addr);
      const req = watchBlocks.requestSerialize({ from_height: 1, has_from_height: true });
      const calls = Array.from({ length: opened }, () => stalled.open("/snowchain.v1.Client/WatchBlocks", {}, [req], true));
      await waitFor("every watcher to be answered", () => (calls.every((c) => c.headers !== undefined) ? true : undefined));
      const grown = retainedBytes() - before;
      // The old code kept a whole 256-block page of objects per watcher: ~6 MB each here, 100+ MB in all.
      expect(grown).toBeLessThan(24 * MiB);

      const refused = calls.filter((c) => c.headers?.["grpc-status"] !== undefined);
      expect(refused).toHaveLength(opened - WATCH_LIMITS.maxPerCaller);
      expect(Number(refused[0]!.headers!["grpc-status"])).toBe(RESOURCE_EXHAUSTED);
      expect(decodeURIComponent(String(refused[0]!.headers!["grpc-message"]))).toBe(
        `at most ${WATCH_LIMITS.maxPerCaller} WatchBlocks streams per caller address: close one first`,
      );
      expect(await counterValue(peer, "snowchain_grpc_streams_refused_total", { method: "WatchBlocks", bound: "watchers" })).toBe(refused.length);

      // A reader from elsewhere (another connection, same address: the slots are full) is refused
      // too, until the stalled caller goes away and frees its slots.
      stalled.close();
      const got: number[] = [];
      const abort = new AbortController();
      const watching = waitFor("a watcher slot to free up", async () => {
        const attempt = peer.api.watchBlocks(1, (b) => {
          got.push(Number(b.height));
          if (got.length === height) abort.abort();
        }, abort.signal);
        try {
          await attempt;
          return true;
        } catch (err) {
          if ((err as grpc.ServiceError).code !== RESOURCE_EXHAUSTED) throw err;
          got.length = 0;
          return undefined;
        }
      });
      await watching;
      expect(got).toEqual(Array.from({ length: height }, (_, i) => i + 1));
    });
  });

  describe("QueryStream", () => {
    let member: TestMember & { readonly metadata: grpc.Metadata };

    beforeAll(async () => {
      member = await joinAs("stalled-member", peer.addr);
    });

    afterAll(async () => {
      await member?.stop();
    });

    it("ends the stream of a member that never reads with RESOURCE_EXHAUSTED naming the bound, holding no more than the bound", async () => {
      const token = member.metadata.get(SESSION_METADATA)[0] as Buffer;
      const queries = 5000;
      const before = retainedBytes();
      const stalled = new StalledClient(peer.addr);
      const msgs = Array.from({ length: queries }, (_, i) => queryStream.requestSerialize({ request_id: i + 1, from_height: 1, to_height: 64 }));
      const call = stalled.open("/snowchain.v1.MessageManager/QueryStream", { [SESSION_METADATA]: token }, msgs);
      await waitFor("the peer to have taken every query", async () => {
        if (!call.sent) return undefined;
        const refused = await counterValue(peer, "snowchain_grpc_streams_refused_total", { method: "QueryStream" });
        const served = await counterValue(peer, "snowchain_grpc_server_handled_total", { method: "QueryStream", code: "OK" });
        return refused > 0 || served >= queries ? true : undefined;
      });
      const grown = retainedBytes() - before;
      // The old bound counted 256 × 1024 answers: all 5,000 stayed buffered (~9 KB of objects each).
      expect(grown).toBeLessThan(16 * MiB);
      expect(await counterValue(peer, "snowchain_grpc_streams_refused_total", { method: "QueryStream", bound: "messages" })).toBe(1);

      // Once it reads, it gets what was kept and then the status saying why the stream ended.
      stalled.unstall();
      const end = await call.readAll();
      stalled.close();
      expect(end.code).toBe(RESOURCE_EXHAUSTED);
      expect(end.details).toBe(`more than ${QUERY_STREAM_BACKLOG.maxMessages} answers unread on this stream: read them, then query again`);
      expect(end.messages.length).toBeLessThanOrEqual(QUERY_STREAM_BACKLOG.maxMessages + 1);
      expect(end.messages.length).toBeGreaterThan(0);
      // The peer goes on serving everyone else.
      expect((await peer.api.status()).node_id).toBe(peer.nodeId);
    });
  });
});
