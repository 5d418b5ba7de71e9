import { randomBytes } from "node:crypto";

/** Session tokens are 16 random bytes: unguessable, and cheap to look up on every call. */
const TOKEN_BYTES = 16;
/** Bounds the tokens this peer has issued; past it the oldest go (their holders handshake again). */
const MAX_ISSUED = 4096;

/**
 * Who is calling, without trusting what a message says. A handshake proves a peer holds the key
 * of its node id; each side then gives the other a random token, carried in the metadata of every
 * later call. `issued` maps the tokens this peer gave out to the node ids that proved themselves;
 * `held` maps addresses to the tokens others gave this peer.
 */
export class Sessions {
  private readonly issued = new Map<string, string>();
  private readonly tokenOfNode = new Map<string, string>();
  private readonly held = new Map<string, Buffer>();

  /** A new token for a peer that just proved itself; its previous one stops working. */
  issue(nodeId: string): Buffer {
    this.revoke(nodeId);
    if (this.issued.size >= MAX_ISSUED) {
      const [oldest, owner] = this.issued.entries().next().value as [string, string];
      this.issued.delete(oldest);
      this.tokenOfNode.delete(owner);
    }
    const token = randomBytes(TOKEN_BYTES);
    const hex = token.toString("hex");
    this.issued.set(hex, nodeId);
    this.tokenOfNode.set(nodeId, hex);
    return token;
  }

  /** The node id that a token presented to this peer stands for; undefined for none or a stranger's. */
  senderOf(token: Buffer | string | undefined): string | undefined {
    if (token === undefined) return undefined;
    return this.issued.get(typeof token === "string" ? token : token.toString("hex"));
  }

  /** A member left: its token stops working. */
  revoke(nodeId: string): void {
    const old = this.tokenOfNode.get(nodeId);
    if (old === undefined) return;
    this.issued.delete(old);
    this.tokenOfNode.delete(nodeId);
  }

  /** The token the peer at `address` gave this one. */
  hold(address: string, token: Buffer): void {
    this.held.set(address, token);
  }

  /** What to present when calling `address`; undefined before a handshake. */
  tokenFor(address: string): Buffer | undefined {
    return this.held.get(address);
  }

  /** The peer at `address` no longer knows this one (it restarted, or dropped us). */
  forget(address: string): void {
    this.held.delete(address);
  }
}
