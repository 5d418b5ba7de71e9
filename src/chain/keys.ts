import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

/**
 * Ed25519 identities, from Node's own crypto. A node id is derived from the public key (the
 * first 20 bytes of its sha-256, in hex), as avalanchego derives a NodeID from its staking
 * certificate and libp2p a PeerId from its key: whoever claims an id must hold its private key.
 */

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
/** Node ids are 40 hex characters (160 bits, like avalanchego's NodeID). */
export const NODE_ID_HEX = 40;

/** DER prefix of an Ed25519 SubjectPublicKeyInfo: the raw 32-byte key follows it. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/** Verifying keys parsed once per key: a peer checks its members' signatures again and again. */
const MAX_CACHED_KEYS = 4096;
const parsedKeys = new Map<string, KeyObject>();

/** The node id a public key stands for. */
export function nodeIdOf(publicKey: Uint8Array): string {
  return createHash("sha256").update(publicKey).digest("hex").slice(0, NODE_ID_HEX);
}

/** Whoever can sign: a peer's identity. */
export interface Signer {
  readonly nodeId: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  sign(data: Uint8Array): Buffer;
}

/** A signer over a private key (PEM, PKCS#8), as stored in a peer's data dir. */
export function signerFromPem(pem: string): Signer {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`the key is ${String(key.asymmetricKeyType)}, not ed25519`);
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  const publicKey = Buffer.from(spki.subarray(SPKI_PREFIX.length));
  return Object.freeze({ nodeId: nodeIdOf(publicKey), publicKey, sign: (data: Uint8Array) => sign(null, data, key) });
}

/** A fresh identity and its private key as PEM (PKCS#8) for storing. */
export function generateSigner(): { signer: Signer; pem: string } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  return { signer: signerFromPem(pem), pem };
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `data`; false for malformed keys or signatures. */
export function verifySignature(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  const hex = Buffer.from(publicKey).toString("hex");
  let key = parsedKeys.get(hex);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    } catch {
      return false;
    }
    if (parsedKeys.size >= MAX_CACHED_KEYS) parsedKeys.clear();
    parsedKeys.set(hex, key);
  }
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}
