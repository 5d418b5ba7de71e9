import * as os from "node:os";
import { loadConfig, type Config } from "../../../src/config";
import { formatHostPort, tryParseHostPort } from "../../../src/wire/host-port";
import { ErrorCode, isSnowchainError } from "../../../src/errors";

/** The one-line BAD_CONFIG message `env` is refused with; fails when it loads or throws otherwise. */
function refusal(env: Record<string, string>): string {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (isSnowchainError(err, ErrorCode.BAD_CONFIG)) {
      expect(err.message).not.toContain("\n");
      return err.message;
    }
    throw err;
  }
  throw new Error(`expected BAD_CONFIG, got a config: ${JSON.stringify(config)}`);
}

describe("loadConfig defaults", () => {
  const config = loadConfig({});

  it("takes every default from an empty environment", () => {
    expect(config).toMatchObject({
      networkName: "snowchain",
      listen: { host: "0.0.0.0", port: 50051 },
      seeds: [],
      dataDir: "./data",
      logLevel: "info",
      metricsPort: 9100,
      snowball: { k: 20, alphaPreference: 15, alphaConfidence: 15, beta: 20, concurrentPolls: 4 },
      pollTimeoutMs: 1000,
      memberGraceMs: 30000,
      maxNeighbors: 8,
      heartbeatMs: 2000,
      maxEntryBytes: 65536,
      maxBlockEntries: 1000,
      maxBlockBytes: 1048576,
      mempoolMaxEntries: 100000,
      mempoolMaxBytes: 64 * 1024 * 1024,
      maxProcessingHeights: 4,
      syncBatch: 256,
    });
  });

  it("names the node after the host and advertises a dialable address on the listen port", () => {
    // A host name that is not a valid node id would make the default refuse to load.
    if (/^[A-Za-z0-9._:-]{1,64}$/.test(os.hostname())) expect(config.name).toBe(os.hostname());
    expect(config.advertise.port).toBe(50051);
    expect(config.advertise.host).not.toBe("0.0.0.0");
    expect(config.advertise.host).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it("advertises the listen host itself when it is a specific address", () => {
    expect(loadConfig({ LISTEN_ADDR: "127.0.0.5:7000" }).advertise).toEqual({ host: "127.0.0.5", port: 7000 });
  });

  it("is frozen, seeds included", () => {
    const c = loadConfig({ SEEDS: "a:1" });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.seeds)).toBe(true);
    expect(Object.isFrozen(c.snowball)).toBe(true);
  });

  it("treats empty and blank values as unset", () => {
    expect(loadConfig({ SNOWBALL_K: "", LOG_LEVEL: "  ", SEEDS: " ", DATA_DIR: "" })).toMatchObject({
      snowball: { k: 20 },
      logLevel: "info",
      seeds: [],
      dataDir: "./data",
    });
  });
});

describe("loadConfig parses every variable", () => {
  const env = {
    NODE_ID: "peer-7",
    NETWORK_NAME: "lab.net_2",
    LISTEN_ADDR: "127.0.0.1:6000",
    ADVERTISE_ADDR: "peer-7.example:6001",
    SEEDS: "peer:50051, 10.0.0.2:50052,[::1]:50053,,",
    DATA_DIR: "/var/lib/snowchain",
    LOG_LEVEL: "DEBUG",
    METRICS_PORT: "0",
    SNOWBALL_K: "10",
    SNOWBALL_ALPHA_PREFERENCE: "6",
    SNOWBALL_ALPHA_CONFIDENCE: "8",
    SNOWBALL_BETA: "12",
    SNOWBALL_CONCURRENT_POLLS: "12",
    POLL_TIMEOUT_MS: "250",
    MEMBER_GRACE_MS: "5000",
    MAX_NEIGHBORS: "3",
    HEARTBEAT_MS: " 400 ",
    MAX_ENTRY_BYTES: "1024",
    MAX_BLOCK_ENTRIES: "50",
    MAX_BLOCK_BYTES: "1024",
    MEMPOOL_MAX_ENTRIES: "77",
    MEMPOOL_MAX_BYTES: "4096",
    MAX_PROCESSING_HEIGHTS: "2",
    SYNC_BATCH: "16",
    LAB_CONTROL: "1",
    BEHAVIOUR: "Sync-Liar",
  };

  it("reads each one into its typed field", () => {
    expect(loadConfig(env)).toEqual({
      name: "peer-7",
      networkName: "lab.net_2",
      listen: { host: "127.0.0.1", port: 6000 },
      advertise: { host: "peer-7.example", port: 6001 },
      seeds: [
        { host: "peer", port: 50051 },
        { host: "10.0.0.2", port: 50052 },
        { host: "::1", port: 50053 },
      ],
      dataDir: "/var/lib/snowchain",
      logLevel: "debug",
      metricsPort: 0,
      snowball: { k: 10, alphaPreference: 6, alphaConfidence: 8, beta: 12, concurrentPolls: 12 },
      pollTimeoutMs: 250,
      memberGraceMs: 5000,
      maxNeighbors: 3,
      heartbeatMs: 400,
      maxEntryBytes: 1024,
      maxBlockEntries: 50,
      maxBlockBytes: 1024,
      mempoolMaxEntries: 77,
      mempoolMaxBytes: 4096,
      maxProcessingHeights: 2,
      syncBatch: 16,
      labControl: true,
      behaviour: "sync-liar",
      byzantineGroup: undefined,
    });
  });

  it("listens on port 0 (tests) when it is told what to advertise", () => {
    expect(loadConfig({ LISTEN_ADDR: "127.0.0.1:0", ADVERTISE_ADDR: "127.0.0.1:7000" }).listen).toEqual({ host: "127.0.0.1", port: 0 });
    expect(loadConfig({ LISTEN_ADDR: "[::1]:0", ADVERTISE_ADDR: "[::1]:7000" }).listen).toEqual({ host: "::1", port: 0 });
  });

  it("reads IPv6 addresses in brackets and writes them back the same way", () => {
    const c = loadConfig({ LISTEN_ADDR: "[::]:50051", ADVERTISE_ADDR: "[fd00::7]:50051", SEEDS: "[::1]:50051" });
    expect(c.listen).toEqual({ host: "::", port: 50051 });
    expect(c.advertise).toEqual({ host: "fd00::7", port: 50051 });
    expect(c.seeds).toEqual([{ host: "::1", port: 50051 }]);
    expect(formatHostPort(c.seeds[0]!)).toBe("[::1]:50051");
    expect(formatHostPort(tryParseHostPort("peer:1")!)).toBe("peer:1");
  });

  it("derives the Snowball quorums from a small K when they are not given", () => {
    expect(loadConfig({ SNOWBALL_K: "5" }).snowball).toEqual({ k: 5, alphaPreference: 5, alphaConfidence: 5, beta: 20, concurrentPolls: 4 });
  });

  it("accepts the bounds of each range", () => {
    expect(loadConfig({ METRICS_PORT: "65535", SNOWBALL_BETA: "4", POLL_TIMEOUT_MS: "10", HEARTBEAT_MS: "50" })).toMatchObject({
      metricsPort: 65535,
      snowball: { beta: 4, concurrentPolls: 4 },
      pollTimeoutMs: 10,
      heartbeatMs: 50,
    });
    expect(loadConfig({ MAX_ENTRY_BYTES: "3145728", MAX_BLOCK_BYTES: "3145728" })).toMatchObject({ maxEntryBytes: 3145728, maxBlockBytes: 3145728 });
  });
});

describe("loadConfig refuses bad values with one line naming the variable, the value and what is allowed", () => {
  it.each([
    ["SNOWBALL_K", "twenty"],
    ["SNOWBALL_K", "1.5"],
    ["SNOWBALL_K", "0x10"],
    ["SNOWBALL_K", "1e3"],
    ["POLL_TIMEOUT_MS", "12ms"],
    ["HEARTBEAT_MS", "-"],
    ["MEMBER_GRACE_MS", "NaN"],
  ])("non-numeric %s=%s", (name, value) => {
    expect(refusal({ [name]: value })).toMatch(new RegExp(`^${name}=${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: must be a whole number from \\d+ to \\d+$`));
  });

  it.each([
    ["SNOWBALL_K", "0", "from 1 to 1000"],
    ["SNOWBALL_K", "1001", "from 1 to 1000"],
    ["POLL_TIMEOUT_MS", "9", "from 10 to 600000"],
    ["MEMBER_GRACE_MS", "99", "from 100 to 86400000"],
    ["HEARTBEAT_MS", "-5", "from 50 to 600000"],
    ["MAX_NEIGHBORS", "0", "from 1 to 1000"],
    ["METRICS_PORT", "65536", "from 0 to 65535"],
    ["MAX_ENTRY_BYTES", "0", "from 1 to 3145728"],
    ["MAX_BLOCK_BYTES", "3145729", "from 1 to 3145728"],
    ["MAX_BLOCK_ENTRIES", "100001", "from 1 to 100000"],
    ["MEMPOOL_MAX_ENTRIES", "0", "from 1 to 10000000"],
    ["MAX_PROCESSING_HEIGHTS", "0", "from 1 to 1000"],
    ["SYNC_BATCH", "99999999999999999999", "from 1 to 10000"],
  ])("out of range %s=%s", (name, value, allowed) => {
    expect(refusal({ [name]: value })).toBe(`${name}="${value}": must be a whole number ${allowed}`);
  });

  it("refuses an unknown behaviour, naming every one there is", () => {
    expect(refusal({ BEHAVIOUR: "evil" })).toBe(
      'BEHAVIOUR="evil": must be one of honest, silent, random, contrarian, balancing, equivocator, sync-liar, flooder',
    );
  });

  it("reads BYZANTINE_GROUP for a balancing peer", () => {
    expect(loadConfig({ BEHAVIOUR: "balancing", BYZANTINE_GROUP: " cabal.1:a-b_c " }).byzantineGroup).toBe("cabal.1:a-b_c");
    expect(loadConfig({ BEHAVIOUR: "balancing" }).byzantineGroup).toBeUndefined();
  });

  it.each(["honest", "random", "flooder"])("refuses BYZANTINE_GROUP unless BEHAVIOUR=balancing: %s", (behaviour) => {
    expect(refusal({ BEHAVIOUR: behaviour, BYZANTINE_GROUP: "cabal" })).toBe(
      `BYZANTINE_GROUP="cabal": only a balancing peer has fellows to report to (BEHAVIOUR=balancing), this one is ${behaviour}`,
    );
  });

  it.each(["two words", "x".repeat(65), "slash/ed"])("refuses a BYZANTINE_GROUP that is not a short name: %s", (value) => {
    expect(refusal({ BEHAVIOUR: "balancing", BYZANTINE_GROUP: value })).toBe(
      `BYZANTINE_GROUP=${JSON.stringify(value)}: must be 1 to 64 characters of letters, digits, '.', '_', ':' or '-'`,
    );
  });

  it.each(["yes", "2", "on"])("a flag takes 1/0 or true/false only: LAB_CONTROL=%s", (value) => {
    expect(refusal({ LAB_CONTROL: value })).toBe(`LAB_CONTROL="${value}": must be 1 or 0 (true or false)`);
  });

  it("refuses an entry limit no block could ever hold", () => {
    // MAX_BLOCK_BYTES cannot exceed 3 MiB: an entry above that could be acknowledged and never accepted.
    expect(refusal({ MAX_ENTRY_BYTES: "3145729", MAX_BLOCK_BYTES: "3145728" })).toBe(
      'MAX_ENTRY_BYTES="3145729": must be a whole number from 1 to 3145728',
    );
  });

  it.each(["0.0.0.0", ":50051", "0.0.0.0:65536", "::1:50051", "host name:1", ":0", "a b:0", "[:]:0"])("bad host:port LISTEN_ADDR=%s (named as given)", (value) => {
    expect(refusal({ LISTEN_ADDR: value })).toBe(
      `LISTEN_ADDR=${JSON.stringify(value)}: must be host:port with a port from 0 to 65535 (IPv6 as [addr]:port)`,
    );
  });

  it("refuses to advertise port 0: nobody could dial it", () => {
    expect(refusal({ LISTEN_ADDR: "127.0.0.1:0" })).toBe(
      'ADVERTISE_ADDR="": must be set when LISTEN_ADDR has port 0 (other peers need a port to dial)',
    );
  });

  it.each([
    ["ADVERTISE_ADDR", "peer:0"],
    ["ADVERTISE_ADDR", "peer:"],
    ["ADVERTISE_ADDR", "[::1]"],
    ["ADVERTISE_ADDR", "http://peer:50051"],
    ["SEEDS", "peer"],
    ["SEEDS", "peer:123456"],
    ["SEEDS", "[zz::1]:50051"],
    ["SEEDS", "[]:50051"],
    ["SEEDS", "[:]:50051"],
    ["SEEDS", "[1.2.3.4]:50051"],
  ])("bad host:port %s=%s", (name, value) => {
    expect(refusal({ [name]: value })).toBe(
      `${name}=${JSON.stringify(value)}: must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)`,
    );
  });

  it.each([
    ["a 300-character name", "SEEDS", `${"a".repeat(300)}:50051`, "must be host:port with a host name of at most 253 characters, got 300"],
    ["a 10,000-character name", "ADVERTISE_ADDR", `${"a".repeat(10_000)}:50051`, "must be host:port with a host name of at most 253 characters, got 10000"],
    ["a 64-character label", "SEEDS", `${"b".repeat(64)}.peer:50051`, `must be host:port with host name labels (between dots) of 1 to 63 characters, got one of 64 in "${"b".repeat(64)}.peer"`],
    ["a leading '-'", "SEEDS", "-peer:50051", `must be host:port with host name labels that do not start or end with '-', got "-peer"`],
    ["an IPv4 number above 255", "LISTEN_ADDR", "256.0.0.1:0", 'must be host:port with an IPv4 address of four numbers from 0 to 255, got "256.0.0.1"'],
  ])("a host beyond DNS's limits (%s) in %s is refused with the rule it breaks (the one peers apply to each other)", (_what, name, value, rule) => {
    expect(refusal({ [name]: value })).toBe(`${name}=${JSON.stringify(value)}: ${rule}`);
  });

  it("names the one bad seed among several", () => {
    expect(refusal({ SEEDS: "peer-1:50051,peer-2,[::1]:50051" })).toMatch(/^SEEDS="peer-2": must be host:port/);
  });

  it.each(["has space", "x".repeat(65), "peer/1", "pé"])("bad NODE_ID %j", (value) => {
    expect(refusal({ NODE_ID: value })).toBe(
      `NODE_ID=${JSON.stringify(value)}: must be 1 to 64 characters of letters, digits, '.', '_', ':' or '-'`,
    );
  });

  it("bad NETWORK_NAME", () => {
    expect(refusal({ NETWORK_NAME: "my net" })).toBe(`NETWORK_NAME="my net": must be 1 to 64 characters of letters, digits, '.', '_' or '-'`);
  });

  it("bad LOG_LEVEL", () => {
    expect(refusal({ LOG_LEVEL: "verbose" })).toBe('LOG_LEVEL="verbose": must be one of fatal, error, warn, info, debug, trace, silent');
  });

  describe("Snowball rules (K/2 < alphaP <= alphaC <= K, 0 < concurrent polls <= beta)", () => {
    it("alphaP <= K/2", () => {
      expect(refusal({ SNOWBALL_K: "20", SNOWBALL_ALPHA_PREFERENCE: "10" })).toBe(
        "SNOWBALL_ALPHA_PREFERENCE=10 must satisfy K/2 < alphaPreference <= alphaConfidence (K=20, alphaConfidence=15)",
      );
      expect(refusal({ SNOWBALL_K: "7", SNOWBALL_ALPHA_PREFERENCE: "3", SNOWBALL_ALPHA_CONFIDENCE: "5" })).toMatch(
        /^SNOWBALL_ALPHA_PREFERENCE=3 must satisfy K\/2 < alphaPreference/,
      );
    });

    it("alphaP > alphaC", () => {
      expect(refusal({ SNOWBALL_ALPHA_PREFERENCE: "18", SNOWBALL_ALPHA_CONFIDENCE: "16" })).toMatch(
        /^SNOWBALL_ALPHA_PREFERENCE=18 must satisfy .*alphaConfidence=16\)$/,
      );
    });

    it("alphaC > K", () => {
      expect(refusal({ SNOWBALL_K: "20", SNOWBALL_ALPHA_CONFIDENCE: "21" })).toBe(
        "SNOWBALL_ALPHA_CONFIDENCE=21 must satisfy alphaPreference <= alphaConfidence <= K (K=20, alphaPreference=15)",
      );
    });

    it("concurrent polls > beta", () => {
      expect(refusal({ SNOWBALL_BETA: "3", SNOWBALL_CONCURRENT_POLLS: "4" })).toBe(
        "SNOWBALL_CONCURRENT_POLLS=4 must satisfy 0 < concurrentPolls <= beta (beta=3)",
      );
      // The default of 4 concurrent polls against a smaller beta names the variable to change.
      expect(refusal({ SNOWBALL_BETA: "2" })).toMatch(/^SNOWBALL_CONCURRENT_POLLS=4 must satisfy .*\(beta=2\)$/);
    });

    it("zero concurrent polls is out of range", () => {
      expect(refusal({ SNOWBALL_CONCURRENT_POLLS: "0" })).toBe('SNOWBALL_CONCURRENT_POLLS="0": must be a whole number from 1 to 1000');
    });
  });

  it("MAX_BLOCK_BYTES < MAX_ENTRY_BYTES", () => {
    expect(refusal({ MAX_ENTRY_BYTES: "2048", MAX_BLOCK_BYTES: "1024" })).toBe('MAX_BLOCK_BYTES="1024": must be at least MAX_ENTRY_BYTES (2048)');
    // The default block size is checked against a raised entry limit too.
    expect(refusal({ MAX_ENTRY_BYTES: "2097152" })).toBe('MAX_BLOCK_BYTES="1048576": must be at least MAX_ENTRY_BYTES (2097152)');
  });
});
