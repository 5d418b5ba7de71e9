import * as grpc from "@grpc/grpc-js";
import { v1 } from "../../../src/wire/proto";
import type { HandshakeRequest__Output } from "../../../src/wire/generated/snowchain/v1/HandshakeRequest";
import type { HandshakeResponse } from "../../../src/wire/generated/snowchain/v1/HandshakeResponse";
import type { PeerInfo } from "../../../src/wire/generated/snowchain/v1/PeerInfo";
import type { MessageManagerHandlers } from "../../../src/wire/generated/snowchain/v1/MessageManager";
import type { PeerManagerHandlers } from "../../../src/wire/generated/snowchain/v1/PeerManager";
import { PROTOCOL_VERSION } from "../../../src/wire/peer-info";

export interface FakePeerOptions {
  /** The node id it answers handshakes with. */
  readonly nodeId: string;
  /** The address it advertises; empty: the caller keeps the address it dialed. */
  readonly address?: string;
  /** The genesis id it claims (hex). It never checks the caller's: a careless or hostile peer. */
  readonly genesisId: string;
  readonly protocolVersion?: number;
  /** What it answers peer exchanges with. */
  readonly peers?: readonly PeerInfo[];
  /** Hold every handshake unanswered until release(). */
  readonly hold?: boolean;
  /** The height it claims in handshakes and pings. @default 0 */
  readonly height?: number;
  /** Serve a MessageManager too (a peer that votes, gossips or serves syncs as the test says). */
  readonly messages?: MessageManagerHandlers;
}

/**
 * A PeerManager that answers as told and records what it was sent, for discovery tests that
 * need a peer behaving in ways a real one would not.
 */
export class FakePeerManager {
  readonly handshakes: HandshakeRequest__Output[] = [];
  /** The most handshakes it held unanswered at one time. */
  maxHeld = 0;
  private readonly held: (() => void)[] = [];
  private readonly server = new grpc.Server();
  private holding: boolean;

  private constructor(private readonly opts: FakePeerOptions) {
    this.holding = opts.hold ?? false;
    const handlers: PeerManagerHandlers = {
      Handshake: (call, callback) => {
        this.handshakes.push(call.request);
        const answer = (): void => callback(null, this.response());
        if (!this.holding) return answer();
        this.held.push(answer);
        this.maxHeld = Math.max(this.maxHeld, this.held.length);
      },
      ExchangePeers: (_call, callback) => callback(null, { peers: [...(this.opts.peers ?? [])] }),
      Ping: (_call, callback) => callback(null, { node_id: this.opts.nodeId, last_accepted_height: this.opts.height ?? 0 }),
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

  get heldCount(): number {
    return this.held.length;
  }

  /** Answers every held handshake and stops holding. */
  release(): void {
    this.holding = false;
    for (const answer of this.held.splice(0)) answer();
  }

  stop(): Promise<void> {
    this.release();
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private response(): HandshakeResponse {
    return {
      self: { node_id: this.opts.nodeId, address: this.opts.address ?? "" },
      protocol_version: this.opts.protocolVersion ?? PROTOCOL_VERSION,
      genesis_id: Buffer.from(this.opts.genesisId, "hex"),
      last_accepted_height: this.opts.height ?? 0,
    };
  }
}
