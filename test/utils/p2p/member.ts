import * as grpc from "@grpc/grpc-js";
import { genesisBlock } from "../../../src/chain/genesis";
import type { Signer } from "../../../src/chain/keys";
import { AdmissionLimiter } from "../../../src/p2p/admission";
import { Handshaker } from "../../../src/p2p/handshake";
import { MemberTable } from "../../../src/p2p/membership";
import { PeerPool } from "../../../src/p2p/peer-network";
import { Sessions } from "../../../src/p2p/sessions";
import type { MessageManagerHandlers } from "../../../src/wire/generated/snowchain/v1/MessageManager";
import { SESSION_METADATA } from "../../../src/wire/peer-info";
import { signerFor } from "../chain/blocks";
import { freePort } from "../ports";
import { FakePeerManager } from "./fake-peer-manager";

/** A member of real peers' network that the test drives by hand: raw calls with its sessions. */
export interface TestMember {
  readonly name: string;
  readonly signer: Signer;
  readonly nodeId: string;
  /** Where it listens (a FakePeerManager: it answers the peers' pings and handshakes). */
  readonly address: string;
  /** Call metadata carrying its session with the peer at `target` (joined first if need be). */
  join(target: string): Promise<grpc.Metadata>;
  stop(): Promise<void>;
}

/**
 * A member that joins real peers the way a peer does — the real handshake, with the key of
 * `name` — so a test can send them what a member could (hostile or not) over raw calls. It
 * listens at an address of its own, so the peers find it alive when they ping back.
 */
export async function testMember(name: string, opts: { genesisId?: string; messages?: MessageManagerHandlers } = {}): Promise<TestMember> {
  const genesisId = opts.genesisId ?? genesisBlock("snowchain").id;
  const address = `127.0.0.1:${await freePort()}`;
  const { fake } = await FakePeerManager.start(address, { name, address, genesisId, messages: opts.messages });
  const signer = signerFor(name);
  const sessions = new Sessions();
  const table = new MemberTable({ selfId: signer.nodeId, selfAddress: address, graceMs: 60_000, maxNeighbors: 8 }, Math.random);
  const pool = new PeerPool({ queryTimeoutMs: 2000, callTimeoutMs: 5000 }, () => {});
  const handshaker = new Handshaker(
    { signer, name, selfAddress: address, genesisId },
    { table, pool, sessions, admissions: new AdmissionLimiter(Date.now), now: Date.now, lastAcceptedHeight: () => 0, onRemoteHeight: () => {} },
  );
  const sessionsByTarget = new Map<string, grpc.Metadata>();
  return {
    name,
    signer,
    nodeId: signer.nodeId,
    address,
    async join(target: string): Promise<grpc.Metadata> {
      const known = sessionsByTarget.get(target);
      if (known) return known;
      const result = await handshaker.dial(target);
      if (result.kind !== "member") throw new Error(`${name} could not join ${target}: ${result.kind === "refused" ? result.reason : "it is this member"}`);
      const metadata = new grpc.Metadata();
      metadata.set(SESSION_METADATA, sessions.tokenFor(result.member.address)!);
      sessionsByTarget.set(target, metadata);
      return metadata;
    },
    async stop(): Promise<void> {
      pool.closeAll();
      await fake.stop();
    },
  };
}

/** A test member that joined the peer at `target`, with its session there. */
export async function joinAs(name: string, target: string, opts: { genesisId?: string; messages?: MessageManagerHandlers } = {}): Promise<TestMember & { readonly metadata: grpc.Metadata }> {
  const member = await testMember(name, opts);
  return { ...member, metadata: await member.join(target) };
}
