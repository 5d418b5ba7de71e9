import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { Signer } from "../../../src/chain/keys";
import { handshakePayload } from "../../../src/p2p/handshake";
import { v1 } from "../../../src/wire/proto";
import type { HelloRequest__Output } from "../../../src/wire/generated/snowchain/v1/HelloRequest";
import type { MessageManagerHandlers } from "../../../src/wire/generated/snowchain/v1/MessageManager";
import type { PeerInfo } from "../../../src/wire/generated/snowchain/v1/PeerInfo";
import type { PeerManagerHandlers } from "../../../src/wire/generated/snowchain/v1/PeerManager";
import { PROTOCOL_VERSION } from "../../../src/wire/peer-info";
import { signerFor } from "../chain/blocks";

export interface FakePeerOptions {
  /** Its human name, and the label of its key (signerFor): two fakes of one name are one identity. */
  readonly name: string;
  /** The address it advertises; empty: the caller keeps the address it dialed. */
  readonly address?: string;
  /** The genesis id it claims (hex). It never checks the caller's: a careless or hostile peer. */
  readonly genesisId: string;
  readonly protocolVersion?: number;
  /** What it answers peer exchanges with. */
  readonly peers?: readonly PeerInfo[];
  /** Hold every Hello unanswered until release(). */
  readonly hold?: boolean;
  /** The height it claims in handshakes and pings. @default 0 */
  readonly height?: number;
  /** Serve a MessageManager too (a peer that votes, gossips or serves syncs as the test says). */
  readonly messages?: MessageManagerHandlers;
}

/**
 * A PeerManager that answers as told and records what it was sent, for tests that need a peer
 * behaving in ways a real one would not. It proves its identity in Hello as a real peer does
 * (its key is `signerFor(name)`), trusts any Handshake, and checks no session.
 */
export class FakePeerManager {
  /** Every Hello it received (the first step of a handshake). */
  readonly handshakes: HelloRequest__Output[] = [];
  /** Pings it answered. */
  pings = 0;
  /** The most Hellos it held unanswered at one time. */
  maxHeld = 0;
  readonly signer: Signer;
  private readonly held: (() => void)[] = [];
  private readonly server = new grpc.Server();
  private holding: boolean;

  private constructor(private readonly opts: FakePeerOptions) {
    this.holding = opts.hold ?? false;
    this.signer = signerFor(opts.name);
    const handlers: PeerManagerHandlers = {
      Hello: (call, callback) => {
        this.handshakes.push(call.request);
        const answer = (): void => callback(null, this.hello(call.request));
        if (!this.holding) return answer();
        this.held.push(answer);
        this.maxHeld = Math.max(this.maxHeld, this.held.length);
      },
      Handshake: (_call, callback) => callback(null, { session: randomBytes(16), last_accepted_height: this.opts.height ?? 0 }),
      ExchangePeers: (_call, callback) => callback(null, { peers: [...(this.opts.peers ?? [])] }),
      Ping: (_call, callback) => {
        this.pings++;
        callback(null, { node_id: this.signer.nodeId, last_accepted_height: this.opts.height ?? 0 });
      },
    };
    this.server.addService(v1.PeerManager.service, handlers);
    if (opts.messages) this.server.addService(v1.MessageManager.service, opts.messages);
  }

  /** Listens on host:port (port 0: any); resolves the bound port. */
  static async start(addr: string, opts: FakePeerOptions): Promise<{ fake: FakePeerManager; port: number }> {
    const fake = new FakePeerManager(opts);
    const port = await new Promise<number>((resolve, reject) =>
      fake.server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return { fake, port };
  }

  get nodeId(): string {
    return this.signer.nodeId;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Answers every held Hello and stops holding. */
  release(): void {
    this.holding = false;
    for (const answer of this.held.splice(0)) answer();
  }

  stop(): Promise<void> {
    this.release();
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private hello(req: HelloRequest__Output) {
    const address = this.opts.address ?? "";
    return {
      public_key: this.signer.publicKey,
      address,
      name: this.opts.name,
      protocol_version: this.opts.protocolVersion ?? PROTOCOL_VERSION,
      genesis_id: Buffer.from(this.opts.genesisId, "hex"),
      nonce: randomBytes(32),
      signature: this.signer.sign(handshakePayload(this.opts.genesisId, req.nonce, address)),
      last_accepted_height: this.opts.height ?? 0,
    };
  }
}
