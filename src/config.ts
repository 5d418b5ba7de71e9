import * as os from "node:os";
import { ErrorCode, SnowchainError } from "./errors";
import { BEHAVIOUR_NAMES, type BehaviourName } from "./behaviour/behaviour";
import { validateSnowballParams } from "./consensus/params";
import { parseHostPort, type HostPort } from "./wire/host-port";
import { MAX_BLOCK_BYTES_LIMIT } from "./wire/channel";
import { NODE_ID } from "./wire/peer-info";
import type { SnowballParams } from "./consensus/types";


export type { HostPort };

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Everything a peer is configured with. Only this module reads process.env. */
export interface Config {
  /** This peer's human name (its node id comes from its key). @default the host name */
  readonly name: string;
  /** Network name; peers of different networks derive different genesis blocks. @default "snowchain" */
  readonly networkName: string;
  /** Where the gRPC server listens. @default 0.0.0.0:50051 */
  readonly listen: HostPort;
  /** The address other peers dial. @default this host's first non-internal IPv4 address and the listen port */
  readonly advertise: HostPort;
  /** Where to find the network. A host name stands for all its addresses. @default none */
  readonly seeds: readonly HostPort[];
  /** Where accepted blocks and the mempool journal live. @default ./data */
  readonly dataDir: string;
  /** @default info */
  readonly logLevel: LogLevel;
  /** Port of the HTTP server for /metrics, /healthz, /readyz; 0 picks a free one. @default 9100 */
  readonly metricsPort: number;
  readonly snowball: SnowballParams;
  /** A query not answered within this is a dropped vote. @default 1000 */
  readonly pollTimeoutMs: number;
  /** A member unreachable for longer than this is dropped from the membership. @default 30000 */
  readonly memberGraceMs: number;
  /** How many members this peer gossips to and pings. @default 8 */
  readonly maxNeighbors: number;
  /** How often neighbors are pinged and peer lists exchanged. @default 2000 */
  readonly heartbeatMs: number;
  /** Largest entry accepted from a client, in bytes. @default 65536 */
  readonly maxEntryBytes: number;
  /** Most entries in one block. @default 1000 */
  readonly maxBlockEntries: number;
  /** Largest block (sum of entry sizes), in bytes. @default 1048576 */
  readonly maxBlockBytes: number;
  /** Most pending entries; submits beyond are refused with RESOURCE_EXHAUSTED. @default 100000 */
  readonly mempoolMaxEntries: number;
  /** Most pending entry bytes; submits beyond are refused with RESOURCE_EXHAUSTED. @default 67108864 */
  readonly mempoolMaxBytes: number;
  /** Most undecided heights this peer builds on before it waits for decisions. @default 4 */
  readonly maxProcessingHeights: number;
  /** Most accepted blocks in one sync fetch or GetChain page. @default 256 */
  readonly syncBatch: number;
  /** Serve the Lab service (link faults, clock skew) for the fault lab. @default false */
  readonly labControl: boolean;
  /** How this peer answers, proposes and serves syncs: honest, or one of the byzantine behaviours. @default honest */
  readonly behaviour: BehaviourName;
  /**
   * Balancing peers sharing this name tell each other what they observe (BEHAVIOUR=balancing
   * only). @default none: a balancing peer balances on what it sees itself
   */
  readonly byzantineGroup: string | undefined;
}


type Env = Readonly<Record<string, string | undefined>>;

function bad(name: string, value: string, allowed: string): never {
  throw new SnowchainError(ErrorCode.BAD_CONFIG, `${name}=${JSON.stringify(value)}: ${allowed}`, { name, value });
}

function integer(env: Env, name: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return dflt;
  const value = raw.trim();
  if (!/^-?\d+$/.test(value)) bad(name, raw, `must be a whole number from ${min} to ${max}`);
  const n = Number(value);
  if (n < min || n > max) bad(name, raw, `must be a whole number from ${min} to ${max}`);
  return n;
}

function flag(env: Env, name: string, dflt: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return dflt;
  const value = raw.trim().toLowerCase();
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  bad(name, raw, "must be 1 or 0 (true or false)");
}

function str(env: Env, name: string, dflt: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === "" ? dflt : raw.trim();
}

/**
 * Parses "host:port" (IPv6 as "[::1]:port"); `what` names the variable for the error. `minPort`
 * is 0 only where the OS may pick the port (listening).
 */
function hostPort(value: string, what: string, minPort = 1): HostPort {
  const r = parseHostPort(value, minPort);
  return typeof r === "string" ? bad(what, value, r) : r;
}

function listenAddr(env: Env): HostPort {
  // Port 0 is allowed for listening (tests): the OS picks one, so ADVERTISE_ADDR must then be given.
  return hostPort(str(env, "LISTEN_ADDR", "0.0.0.0:50051"), "LISTEN_ADDR", 0);
}

/** The first non-internal IPv4 address: what other containers on the same network can dial. */
function hostAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** What a BYZANTINE_GROUP may be: a short name, as NODE_ID. */
const BYZANTINE_GROUP = /^[A-Za-z0-9._:-]{1,64}$/;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Reads and validates the configuration. Throws SnowchainError(BAD_CONFIG) whose message is one
 * line naming the variable, the value and what is allowed.
 */
export function loadConfig(env: Env = process.env): Config {
  const listen = listenAddr(env);
  const rawAdvertise = env.ADVERTISE_ADDR?.trim();
  if (!rawAdvertise && listen.port === 0) {
    // Peers would be told to dial port 0: nothing can reach this peer.
    bad("ADVERTISE_ADDR", "", "must be set when LISTEN_ADDR has port 0 (other peers need a port to dial)");
  }
  const advertise = rawAdvertise
    ? hostPort(rawAdvertise, "ADVERTISE_ADDR")
    : {
        host: listen.host === "0.0.0.0" || listen.host === "::" ? hostAddress() : listen.host,
        port: listen.port,
      };
  const seeds = str(env, "SEEDS", "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => hostPort(s, "SEEDS"));

  const name = str(env, "NODE_ID", os.hostname());
  if (!NODE_ID.test(name)) {
    bad("NODE_ID", name, "must be 1 to 64 characters of letters, digits, '.', '_', ':' or '-'");
  }
  const networkName = str(env, "NETWORK_NAME", "snowchain");
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(networkName)) {
    bad("NETWORK_NAME", networkName, "must be 1 to 64 characters of letters, digits, '.', '_' or '-'");
  }
  const logLevel = str(env, "LOG_LEVEL", "info").toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) bad("LOG_LEVEL", env.LOG_LEVEL ?? "", `must be one of ${LOG_LEVELS.join(", ")}`);

  const k = integer(env, "SNOWBALL_K", 20, 1, 1000);
  const alphaPreference = integer(env, "SNOWBALL_ALPHA_PREFERENCE", Math.min(15, k), 1, 1000);
  const alphaConfidence = integer(env, "SNOWBALL_ALPHA_CONFIDENCE", Math.max(alphaPreference, Math.min(15, k)), 1, 1000);
  const snowball: SnowballParams = {
    k,
    alphaPreference,
    alphaConfidence,
    beta: integer(env, "SNOWBALL_BETA", 20, 1, 10000),
    concurrentPolls: integer(env, "SNOWBALL_CONCURRENT_POLLS", 4, 1, 1000),
  };

  const behaviour = str(env, "BEHAVIOUR", "honest").toLowerCase() as BehaviourName;
  if (!BEHAVIOUR_NAMES.includes(behaviour)) bad("BEHAVIOUR", env.BEHAVIOUR ?? "", `must be one of ${BEHAVIOUR_NAMES.join(", ")}`);

  const byzantineGroup = env.BYZANTINE_GROUP?.trim() || undefined;
  if (byzantineGroup !== undefined) {
    if (!BYZANTINE_GROUP.test(byzantineGroup)) bad("BYZANTINE_GROUP", byzantineGroup, "must be 1 to 64 characters of letters, digits, '.', '_', ':' or '-'");
    // A group is how balancing peers collude: any other behaviour would serve and send reports nobody reads.
    if (behaviour !== "balancing") bad("BYZANTINE_GROUP", byzantineGroup, `only a balancing peer has fellows to report to (BEHAVIOUR=balancing), this one is ${behaviour}`);
  }

  // An entry must fit in a block: a larger one would be acknowledged and then never accepted.
  const maxEntryBytes = integer(env, "MAX_ENTRY_BYTES", 65536, 1, MAX_BLOCK_BYTES_LIMIT);
  const maxBlockBytes = integer(env, "MAX_BLOCK_BYTES", 1024 * 1024, 1, MAX_BLOCK_BYTES_LIMIT);
  if (maxBlockBytes < maxEntryBytes) {
    bad("MAX_BLOCK_BYTES", String(maxBlockBytes), `must be at least MAX_ENTRY_BYTES (${maxEntryBytes})`);
  }

  return Object.freeze({
    name,
    networkName,
    listen,
    advertise,
    seeds: Object.freeze(seeds),
    dataDir: str(env, "DATA_DIR", "./data"),
    logLevel,
    metricsPort: integer(env, "METRICS_PORT", 9100, 0, 65535),
    // Same rules as avalanchego: K/2 < alphaPreference <= alphaConfidence <= K, 0 < concurrent polls <= beta.
    snowball: validateSnowballParams(snowball),
    pollTimeoutMs: integer(env, "POLL_TIMEOUT_MS", 1000, 10, 600000),
    memberGraceMs: integer(env, "MEMBER_GRACE_MS", 30000, 100, 86400000),
    maxNeighbors: integer(env, "MAX_NEIGHBORS", 8, 1, 1000),
    heartbeatMs: integer(env, "HEARTBEAT_MS", 2000, 50, 600000),
    maxEntryBytes,
    maxBlockEntries: integer(env, "MAX_BLOCK_ENTRIES", 1000, 1, 100000),
    maxBlockBytes,
    mempoolMaxEntries: integer(env, "MEMPOOL_MAX_ENTRIES", 100000, 1, 10000000),
    mempoolMaxBytes: integer(env, "MEMPOOL_MAX_BYTES", 64 * 1024 * 1024, 1, 16 * 1024 * 1024 * 1024),
    maxProcessingHeights: integer(env, "MAX_PROCESSING_HEIGHTS", 4, 1, 1000),
    syncBatch: integer(env, "SYNC_BATCH", 256, 1, 10000),
    labControl: flag(env, "LAB_CONTROL", false),
    behaviour,
    byzantineGroup,
  });
}
