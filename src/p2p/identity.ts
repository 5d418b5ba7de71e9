import { constants } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Logger } from "pino";
import { generateSigner, signerFromPem, type Signer } from "../chain/keys";
import { ErrorCode, SnowchainError } from "../errors";

/** The peer's private key in its data dir: PEM (PKCS#8), readable by its owner only. */
export const IDENTITY_FILE = "node.key";
const OWNER_ONLY = 0o600;

/**
 * This peer's identity: the Ed25519 key in DATA_DIR/node.key, made on first start and kept across
 * restarts (a peer restarted on its data dir is the same member). A key file that cannot be read
 * stops the peer: making a new identity silently would turn it into a stranger.
 */
export async function loadIdentity(dataDir: string, log: Logger): Promise<Signer> {
  const file = path.join(dataDir, IDENTITY_FILE);
  let pem: string;
  try {
    pem = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw unreadable(file, err);
    const created = await create(dataDir, file);
    log.info({ id: created.nodeId, file }, "created this peer's identity");
    return created;
  }
  let signer: Signer;
  try {
    signer = signerFromPem(pem);
  } catch (err) {
    throw unreadable(file, err);
  }
  const { mode } = await fs.stat(file);
  if ((mode & 0o077) !== 0) {
    // Someone copied it in with a loose mode: the key is a secret, so it is narrowed, and said so.
    await fs.chmod(file, OWNER_ONLY);
    log.warn({ file, mode: (mode & 0o777).toString(8) }, "the identity key was readable by others; narrowed to 0600");
  }
  return signer;
}

async function create(dataDir: string, file: string): Promise<Signer> {
  await fs.mkdir(dataDir, { recursive: true });
  const { signer, pem } = generateSigner();
  // Written whole and fsync'd under a temporary name, then renamed: a crash leaves no half key.
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, OWNER_ONLY);
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  const dir = await fs.open(dataDir, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return signer;
}

function unreadable(file: string, err: unknown): SnowchainError {
  return new SnowchainError(
    ErrorCode.CORRUPT_STORE,
    `${file} is not this peer's Ed25519 key (${(err as Error).message}); move it away to start as a new identity`,
    { file },
  );
}
