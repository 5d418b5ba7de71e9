import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { genesisBlock } from "../../src/chain/genesis";
import type { Signer } from "../../src/chain/keys";
import { handshakePayload } from "../../src/p2p/handshake";
import type { HelloResponse__Output } from "../../src/wire/generated/snowchain/v1/HelloResponse";
import type { StatusResponse__Output } from "../../src/wire/generated/snowchain/v1/StatusResponse";
import { PROTOCOL_VERSION } from "../../src/wire/peer-info";
import { signerFor } from "../utils/chain/blocks";
import { Cluster, readChain, type ClusterPeer } from "../utils/cluster";
import { call, rawClients, refusedWith, type RawClients } from "../utils/grpc/raw";
import { FakePeerManager } from "../utils/p2p/fake-peer-manager";
import { joinAs } from "../utils/p2p/member";
import { freePort } from "../utils/ports";
import { waitFor } from "../utils/wait";

const GENESIS = genesisBlock("snowchain").id;

/**
 * What a stranger can do to membership (the hardening issue, defects 1, 2 and 9): it becomes a
 * member only where this peer can dial it back and find its key answering; it cannot keep a
 * place by calling; it cannot take another's address; and strangers are admitted at a bounded rate.
 */
describe("membership against strangers, over real gRPC", () => {
  let cluster: Cluster;
  const raws: RawClients[] = [];
  const fakes: FakePeerManager[] = [];

  const rawTo = (p: ClusterPeer): RawClients => {
    const r = rawClients(p.addr);
    raws.push(r);
    return r;
  };
  const status = (p: ClusterPeer): Promise<StatusResponse__Output> => p.api.status();

  /** The two steps of a handshake by `signer`, advertising `address`, sent raw to `raw`. */
  async function handshakeAs(raw: RawClients, signer: Signer, address: string): Promise<unknown> {
    const hello = await call<HelloResponse__Output>((o, cb) =>
      raw.peers.Hello({ public_key: signer.publicKey, address, name: "sybil", protocol_version: PROTOCOL_VERSION, genesis_id: Buffer.from(GENESIS, "hex"), nonce: randomBytes(32) }, o, cb),
    );
    const signature = signer.sign(handshakePayload(GENESIS, hello.nonce, address));
    return call((o, cb) => raw.peers.Handshake({ public_key: signer.publicKey, signature, session: randomBytes(16), last_accepted_height: 0 }, o, cb));
  }

  async function submitAndAwait(text: string): Promise<void> {
    await cluster.peers[0]!.api.submit(Buffer.from(text));
    await Promise.all(
      cluster.peers.map((p) =>
        waitFor(`${p.name} to accept ${text}`, async () => ((await readChain(p.api)).some((b) => b.entries.some((e) => e.data.toString() === text)) ? true : undefined), 20_000),
      ),
    );
  }

  beforeAll(async () => {
    cluster = await Cluster.start(3, { MEMBER_GRACE_MS: "1500", POLL_TIMEOUT_MS: "400" });
    for (const p of cluster.peers) await waitFor(`${p.name} to know the two others`, async () => ((await status(p)).live_peers === 2 ? true : undefined));
  });
  afterAll(async () => {
    for (const r of raws) r.close();
    await Promise.all(fakes.map((f) => f.stop()));
    await cluster.stop();
  });

  it("three sybils per peer at addresses where nothing listens are refused after the dial-back, and the network goes on", async () => {
    for (const p of cluster.peers) {
      const raw = rawTo(p);
      for (let i = 0; i < 3; i++) {
        const nowhere = `127.0.0.1:${await freePort()}`;
        expect(await refusedWith(handshakeAs(raw, signerFor(`sybil-${p.index}-${i}`), nowhere))).toMatch(
          new RegExp(`^FAILED_PRECONDITION: dialled back at ${nowhere.replace(/\./g, "\\.")}: `),
        );
      }
    }
    for (const p of cluster.peers) expect((await status(p)).known_peers).toBe(2);
    await submitAndAwait("beside refused sybils");
  });

  it("a key advertising an address where another key answers is refused: an address is proven, not claimed", async () => {
    const { fake, port } = await FakePeerManager.start("127.0.0.1:0", { name: "bystander", genesisId: GENESIS });
    fakes.push(fake);
    const target = cluster.peers[0]!;
    expect(await refusedWith(handshakeAs(rawTo(target), signerFor("claims the bystander's address"), `127.0.0.1:${port}`))).toBe(
      `FAILED_PRECONDITION: dialled back at 127.0.0.1:${port}: another key answers there (${fake.nodeId})`,
    );
    expect((await status(target)).known_peers).toBe(2);
  });

  it("a member that stopped answering is not kept live by pinging: it is dropped after the grace period", async () => {
    const target = cluster.peers[1]!;
    const member = await joinAs("pings but cannot be reached", target.addr);
    await waitFor("the member to be known", async () => ((await status(target)).known_peers === 3 ? true : undefined));
    await member.stop(); // its server is gone: the target's own calls to it fail from now on
    const raw = rawTo(target);
    let pinging = true;
    const pings = (async () => {
      while (pinging) {
        await call((o, cb) => raw.peers.Ping({ last_accepted_height: 0 }, member.metadata, o, cb), 2000).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await waitFor("the unreachable member to be dropped despite its pings", async () => ((await status(target)).known_peers === 2 ? true : undefined), 15_000);
    } finally {
      pinging = false;
      await pings;
    }
    // Dropped, its session is gone too: its pings are a stranger's now.
    expect(await refusedWith(call((o, cb) => raw.peers.Ping({ last_accepted_height: 0 }, member.metadata, o, cb)))).toMatch(/^UNAUTHENTICATED: /);
  });

  it("a stranger's Ping naming a member and a huge height is UNAUTHENTICATED and starts no sync", async () => {
    const target = cluster.peers[2]!;
    const before = await status(target);
    const md = new grpc.Metadata();
    md.set("node_id", cluster.peers[0]!.nodeId);
    expect(await refusedWith(call((o, cb) => rawTo(target).peers.Ping({ last_accepted_height: Number.MAX_SAFE_INTEGER }, md, o, cb)))).toMatch(/^UNAUTHENTICATED: /);
    const after = await status(target);
    expect(after.syncing).toBe(false);
    expect(after.known_peers).toBe(before.known_peers);
  });

  it("admissions from one source are rate-limited: past the burst a stranger that would answer is told to come back later", async () => {
    const target = cluster.peers[2]!;
    const raw = rawTo(target);
    let refusal: string | undefined;
    let admitted = 0;
    const started = Date.now();
    // The burst per source is 64 (ADMISSIONS_PER_SOURCE); the other peers took two of it.
    for (let i = 0; i < 80 && refusal === undefined; i++) {
      const name = `answering sybil ${i}`;
      const addr = `127.0.0.1:${await freePort()}`;
      const { fake } = await FakePeerManager.start(addr, { name, address: addr, genesisId: GENESIS });
      fakes.push(fake);
      try {
        await handshakeAs(raw, signerFor(name), addr);
        admitted++;
      } catch (err) {
        refusal = `${grpc.status[(err as grpc.ServiceError).code]}: ${(err as grpc.ServiceError).details}`;
      }
    }
    expect(refusal).toMatch(/^RESOURCE_EXHAUSTED: admissions are rate-limited: more than 64 new members from 127\.0\.0\.1/);
    expect(admitted).toBeGreaterThanOrEqual(55);
    // The bucket refills at 2/s (ADMISSIONS_PER_SOURCE) while the loop runs.
    expect(admitted).toBeLessThanOrEqual(64 + Math.ceil((2 * (Date.now() - started)) / 1000));
  }, 60_000);
});
