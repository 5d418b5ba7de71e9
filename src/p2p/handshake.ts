import { randomBytes } from "node:crypto";
import { nodeIdOf, PUBLIC_KEY_BYTES, verifySignature, type Signer } from "../chain/keys";
import { ErrorCode, SnowchainError } from "../errors";
import type { HandshakeRequest__Output } from "../wire/generated/snowchain/v1/HandshakeRequest";
import type { HandshakeResponse } from "../wire/generated/snowchain/v1/HandshakeResponse";
import type { HelloRequest__Output } from "../wire/generated/snowchain/v1/HelloRequest";
import type { HelloResponse } from "../wire/generated/snowchain/v1/HelloResponse";
import { isDialable, whyNotDialable } from "../wire/host-port";
import { NODE_ID, PROTOCOL_VERSION } from "../wire/peer-info";
import type { AdmissionLimiter } from "./admission";
import type { MemberInfo, MemberTable } from "./membership";
import type { PeerPool } from "./peer-network";
import type { Sessions } from "./sessions";

const NONCE_BYTES = 32;
/** What a handshake signature covers, first: so it can never pass for a signature of anything else. */
const DOMAIN = Buffer.from("snowchain/handshake/v2\0");
/** A Hello's challenge waits this long for its Handshake. */
const CHALLENGE_TTL_MS = 10_000;
/** Challenges pending at once: a flood of Hellos cannot fill memory. */
const MAX_CHALLENGES = 1024;

export interface HandshakerOptions {
  readonly signer: Signer;
  /** This peer's human name, told in handshakes. */
  readonly name: string;
  readonly selfAddress: string;
  readonly genesisId: string;
}

export interface HandshakerDeps {
  readonly table: MemberTable;
  readonly pool: PeerPool;
  readonly sessions: Sessions;
  /** Rate limits and the bound on dial-backs of admissions. */
  readonly admissions: AdmissionLimiter;
  readonly now: () => number;
  readonly lastAcceptedHeight: () => number;
  readonly onRemoteHeight: (nodeId: string, height: number) => void;
}

/** How a dial ended: a new or known member, this peer itself at another address, or nothing. */
export type DialResult = { readonly kind: "member"; readonly member: MemberInfo } | { readonly kind: "self" } | { readonly kind: "refused"; readonly reason: string };

interface Challenge {
  readonly nonce: Buffer;
  readonly address: string;
  readonly name: string;
  readonly expiresMs: number;
}

/** What each side signs: the domain, the genesis id, the other side's nonce, its own address. */
export function handshakePayload(genesisId: string, nonce: Uint8Array, address: string): Buffer {
  return Buffer.concat([DOMAIN, Buffer.from(genesisId, "hex"), nonce, Buffer.from(address, "utf8")]);
}

/**
 * The handshake of peer.proto, both sides: this peer dialling another (`dial`), and answering one
 * that dials it (`answerHello`, `answerHandshake`). A peer becomes a member only by proving it
 * holds the key of its node id and answering at the address it gives (this peer dials it back),
 * and a new id cannot take a live member's address; each side then
 * holds a session token from the other, so later calls need no claim of who sends them.
 */
export class Handshaker {
  private readonly challenges = new Map<string, Challenge>();

  constructor(
    private readonly opts: HandshakerOptions,
    private readonly deps: HandshakerDeps,
  ) {}

  /** Checks a remote's protocol and network; returns the reason it is refused, or undefined. */
  refusal(protocolVersion: number, genesisId: string): string | undefined {
    if (protocolVersion !== PROTOCOL_VERSION) {
      return `protocol version ${protocolVersion}, this peer speaks ${PROTOCOL_VERSION}`;
    }
    if (genesisId !== this.opts.genesisId) {
      return `genesis ${genesisId.slice(0, 16)}… is not this network's ${this.opts.genesisId.slice(0, 16)}…`;
    }
    return undefined;
  }

  /**
   * Dials `address`: Hello, check the answer's network and signature, Handshake with our own
   * proof. Throws what the remote or the network threw (a CallError); refusals by this side are
   * results, with their reason.
   */
  async dial(address: string): Promise<DialResult> {
    const { signer } = this.opts;
    const client = this.deps.pool.client(address);
    const nonce = randomBytes(NONCE_BYTES);
    const hello = await client.hello({ ...this.introduction(), nonce });
    const why = this.refusal(hello.protocol_version, hello.genesis_id.toString("hex"));
    if (why) return { kind: "refused", reason: `not of this network: ${why}` };
    if (hello.public_key.length !== PUBLIC_KEY_BYTES) return { kind: "refused", reason: "it sent no public key" };
    const nodeId = nodeIdOf(hello.public_key);
    if (nodeId === signer.nodeId) return { kind: "self" };
    if (!verifySignature(hello.public_key, handshakePayload(this.opts.genesisId, nonce, hello.address), hello.signature)) {
      return { kind: "refused", reason: `its signature does not prove it holds the key of ${nodeId}` };
    }
    if (hello.nonce.length !== NONCE_BYTES) return { kind: "refused", reason: "its nonce is malformed" };
    // It is kept at the address it advertises only if that address proves to be it too; else at the one that just answered.
    const advertised = hello.address !== address && isDialable(hello.address) && (await this.reachable(hello.address, hello.public_key)) === undefined;
    const member: MemberInfo = { nodeId, address: advertised ? hello.address : address, name: cleanName(hello.name) };
    const sessionForThem = this.deps.sessions.issue(nodeId);
    const done = await client.handshake({
      public_key: signer.publicKey,
      signature: signer.sign(handshakePayload(this.opts.genesisId, hello.nonce, this.opts.selfAddress)),
      session: sessionForThem,
      last_accepted_height: this.deps.lastAcceptedHeight(),
    });
    if (!this.deps.table.upsert(member, this.deps.now())) {
      this.deps.sessions.revoke(nodeId);
      return { kind: "refused", reason: `another live member holds ${member.address}` };
    }
    this.deps.sessions.hold(member.address, done.session);
    if (member.address !== address) this.deps.sessions.hold(address, done.session);
    this.deps.onRemoteHeight(nodeId, Math.max(hello.last_accepted_height, done.last_accepted_height));
    return { kind: "member", member };
  }

  /** PeerManager.Hello: who we are, our proof, and a challenge for the caller. @throws WRONG_NETWORK, INVALID_ARGUMENT */
  answerHello(req: HelloRequest__Output): HelloResponse {
    const why = this.refusal(req.protocol_version, req.genesis_id.toString("hex"));
    if (why) throw new SnowchainError(ErrorCode.WRONG_NETWORK, `not of this network: ${why}`);
    if (req.public_key.length !== PUBLIC_KEY_BYTES) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `public_key must be ${PUBLIC_KEY_BYTES} bytes, got ${req.public_key.length}`);
    if (req.nonce.length !== NONCE_BYTES) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `nonce must be ${NONCE_BYTES} bytes, got ${req.nonce.length}`);
    const undialable = whyNotDialable(req.address);
    if (undialable !== undefined) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, `address ${undialable}`);
    const nonce = randomBytes(NONCE_BYTES);
    this.remember(req.public_key.toString("hex"), { nonce, address: req.address, name: cleanName(req.name), expiresMs: this.deps.now() + CHALLENGE_TTL_MS });
    return {
      ...this.introduction(),
      nonce,
      signature: this.opts.signer.sign(handshakePayload(this.opts.genesisId, req.nonce, this.opts.selfAddress)),
      last_accepted_height: this.deps.lastAcceptedHeight(),
    };
  }

  /** Who this peer is, as both Hello messages say it. */
  private introduction(): { public_key: Buffer; address: string; name: string; protocol_version: number; genesis_id: Buffer } {
    return {
      public_key: this.opts.signer.publicKey,
      address: this.opts.selfAddress,
      name: this.opts.name,
      protocol_version: PROTOCOL_VERSION,
      genesis_id: Buffer.from(this.opts.genesisId, "hex"),
    };
  }

  /**
   * PeerManager.Handshake: the caller's proof of its key, for the challenge its Hello got. A
   * member already known at that address just gets a new token. Anyone else is a candidate: its
   * admission is rate-limited (per source host and in total), and it becomes a member only when
   * this peer has dialled the address it advertised and found the same key answering there (a
   * Hello of our own): an address nobody listens at, or someone else's, admits nobody.
   * @throws UNAUTHENTICATED (no challenge, or a signature that does not verify), ADDRESS_TAKEN,
   *   OVERLOADED (admissions rate-limited), UNREACHABLE (the dial-back failed)
   */
  async answerHandshake(req: HandshakeRequest__Output, source: string): Promise<HandshakeResponse> {
    const key = req.public_key.toString("hex");
    const challenge = this.challenges.get(key);
    this.challenges.delete(key);
    if (!challenge || challenge.expiresMs < this.deps.now()) {
      throw new SnowchainError(ErrorCode.UNAUTHENTICATED, "no pending Hello for this key (or it expired): say Hello first");
    }
    const nodeId = nodeIdOf(req.public_key);
    if (!verifySignature(req.public_key, handshakePayload(this.opts.genesisId, challenge.nonce, challenge.address), req.signature)) {
      throw new SnowchainError(ErrorCode.UNAUTHENTICATED, `the signature does not prove the caller holds the key of ${nodeId}`);
    }
    if (req.session.length === 0) throw new SnowchainError(ErrorCode.INVALID_ARGUMENT, "session is missing");
    const member: MemberInfo = { nodeId, address: challenge.address, name: challenge.name };
    if (this.deps.table.get(nodeId)?.address !== member.address) await this.admit(member, req.public_key, source);
    this.deps.sessions.hold(challenge.address, req.session);
    this.deps.onRemoteHeight(nodeId, req.last_accepted_height);
    return { session: this.deps.sessions.issue(nodeId), last_accepted_height: this.deps.lastAcceptedHeight() };
  }

  /** Makes a proven key a member at its address, once the limits allow it and a dial-back found it there. */
  private async admit(member: MemberInfo, publicKey: Buffer, source: string): Promise<void> {
    const { table, admissions } = this.deps;
    const taken = (): SnowchainError => new SnowchainError(ErrorCode.ADDRESS_TAKEN, `another live member holds ${member.address}`);
    // Checked before the dial-back (it costs a call) and again after it (a member may have come meanwhile).
    if (table.holdsLive(member.address, member.nodeId)) throw taken();
    const limited = admissions.take(source);
    if (limited) throw new SnowchainError(ErrorCode.OVERLOADED, `admissions are rate-limited: ${limited}; handshake again later`);
    const why = await admissions.dialBack(() => this.reachable(member.address, publicKey));
    if (why) {
      if (!table.all().some((m) => m.address === member.address)) this.deps.pool.drop(member.address);
      throw new SnowchainError(ErrorCode.UNREACHABLE, `dialled back at ${member.address}: ${why}`);
    }
    if (!table.upsert(member, this.deps.now())) throw taken();
  }

  /**
   * Whether the holder of `publicKey` answers at `address`: a Hello with a fresh nonce, which it
   * must sign. Returns why not, or undefined. Hello changes nothing at the remote but a challenge
   * that expires, so dialling back a caller that is dialling us cannot deadlock or loop.
   */
  private async reachable(address: string, publicKey: Buffer): Promise<string | undefined> {
    const nonce = randomBytes(NONCE_BYTES);
    try {
      const hello = await this.deps.pool.client(address).hello({ ...this.introduction(), nonce });
      if (!hello.public_key.equals(publicKey)) return `another key answers there (${nodeIdOf(hello.public_key)})`;
      if (!verifySignature(publicKey, handshakePayload(this.opts.genesisId, nonce, hello.address), hello.signature)) {
        return "the answer's signature does not verify";
      }
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  private remember(key: string, c: Challenge): void {
    const now = this.deps.now();
    if (this.challenges.size >= MAX_CHALLENGES) {
      for (const [k, old] of this.challenges) if (old.expiresMs < now) this.challenges.delete(k);
      // Still full of live challenges: the oldest goes (its caller simply says Hello again).
      if (this.challenges.size >= MAX_CHALLENGES) this.challenges.delete(this.challenges.keys().next().value as string);
    }
    this.challenges.delete(key);
    this.challenges.set(key, c);
  }
}

/** A remote's human name as shown here: a node id's alphabet and length, else nothing. */
function cleanName(name: string): string {
  return NODE_ID.test(name) ? name : "";
}
