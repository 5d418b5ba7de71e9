/**
 * A scenario: network + load + faults + length, as a YAML file checked against a schema before
 * anything starts. Like CometBFT's manifest (pkg/manifest.go), the type is the documentation:
 * every key, its default and what it allows is here, and a bad file is refused with one line that
 * names the key, the value and what is allowed.
 */
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { BEHAVIOUR_NAMES } from "../behaviour/names";
import { LabError } from "./errors";

/** A length of time: seconds as a number (`10`, `0.5`), or a string with a unit (`500ms`, `10s`, `2m`). Parsed to ms. */
const LENGTH = "expected a length such as 10 (seconds), 500ms, 10s or 2m, at most a day";
const duration = z
  .union([z.number().min(0).max(86_400), z.string().regex(/^\d+(\.\d+)?(ms|s|m)$/)], { error: LENGTH })
  .transform(toMs);

function toMs(v: number | string): number {
  if (typeof v === "number") return Math.round(v * 1000);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v)!;
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000);
}

/** A strict object whose "unknown key" error lists the keys it allows. */
function obj<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? `unknown key; allowed keys: ${allowed}` : undefined),
  });
}

const PEER_NAME = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "expected a peer name such as peer-0");

/** Who a process fault or a skew hits: names, or a pick the lab makes from the seed. */
export const TARGET_PICKS = ["one", "minority", "majority", "all-but-quorum", "beyond-quorum", "all", "random"] as const;
const TARGET = `expected one of ${TARGET_PICKS.join(", ")}, a peer name such as peer-0, or a list of peer names`;
const target = z.union([z.enum(TARGET_PICKS), z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, TARGET), z.array(PEER_NAME).min(1)], { error: TARGET });
export type TargetSpec = z.output<typeof target>;

/** How a partition splits the network. */
export const PARTITION_SHAPES = ["halves", "majority-ring", "isolate-one"] as const;
const groups = z.union([z.enum(PARTITION_SHAPES), z.array(z.array(PEER_NAME).min(1)).min(2)], {
  error: `expected one of ${PARTITION_SHAPES.join(", ")}, or a list of at least two lists of peer names`,
});
export type GroupsSpec = z.output<typeof groups>;

/** Which links a link fault covers: every pair, or the pairs across groups. */
const between = z.union([z.literal("all"), z.array(z.array(PEER_NAME).min(1)).min(2)], {
  error: "expected all, or a list of at least two lists of peer names",
});
export type BetweenSpec = z.output<typeof between>;

const share = z.number().min(0).max(1);
const timing = { at: duration, duration };

const kill = obj({ kind: z.literal("kill"), ...timing, target });
const pause = obj({ kind: z.literal("pause"), ...timing, target });
/** Clean stop (SIGTERM / docker stop) at `at`, start again after `duration` (0: at once). */
const restart = obj({ kind: z.literal("restart"), ...timing, target });
/** One peer after another: each is stopped cleanly, started, and waited for before the next. `duration` is each peer's downtime. */
const rolling = obj({ kind: z.literal("rolling-restart"), at: duration, duration: duration.default(0), target: target.default("all") });
const partition = obj({
  kind: z.literal("partition"),
  ...timing,
  groups,
  /** Only messages from the first group to the others are lost (a round trip fails both ways all the same). @default false */
  one_way: z.boolean().default(false),
});
const loss = obj({ kind: z.literal("loss"), ...timing, drop: share, between: between.default("all") });
const delay = obj({
  kind: z.literal("delay"),
  ...timing,
  delay_ms: z.number().int().min(0).max(60_000),
  jitter_ms: z.number().int().min(0).max(60_000).default(0),
  between: between.default("all"),
});
const duplicate = obj({ kind: z.literal("duplicate"), ...timing, share, between: between.default("all") });
const skew = obj({ kind: z.literal("clock-skew"), ...timing, target, skew_ms: z.number().int().min(-86_400_000).max(86_400_000) });
/** Scale the peer service to `peers` replicas at `at`, back to the network's size after `duration` (Compose only). */
const scale = obj({ kind: z.literal("scale"), ...timing, peers: z.number().int().min(1).max(50) });

export const FAULT_KINDS = ["kill", "pause", "restart", "rolling-restart", "partition", "loss", "delay", "duplicate", "clock-skew", "scale"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const fault = z.discriminatedUnion("kind", [kill, pause, restart, rolling, partition, loss, delay, duplicate, skew, scale], {
  error: (iss) => (iss.code === "invalid_union" ? `expected kind to be one of ${FAULT_KINDS.join(", ")}` : undefined),
});
export type FaultSpec = z.output<typeof fault>;

/** The nemesis's own kinds: each picks its targets and parameters from the seed (see schedule.ts). */
export const NEMESIS_KINDS = ["kill", "pause", "restart", "isolate", "halves", "majority-ring", "loss", "delay", "duplicate", "clock-skew", "scale"] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

const nemesis = obj({
  /** Kinds drawn from, uniformly. */
  mix: z.array(z.enum(NEMESIS_KINDS)).min(1),
  /** Time between two fault starts. */
  interval: duration,
  /** How long each fault lasts (less than the interval: one fault at a time). */
  duration,
  /** When the first fault starts. @default the interval */
  start: duration.optional(),
});
export type NemesisSpec = z.output<typeof nemesis>;

const ENV_KEY = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "expected an environment variable name in upper snake case");
/** Variables the lab sets itself: a scenario must not change how the lab reaches its peers. */
const LAB_OWNED_ENV = ["NODE_ID", "LISTEN_ADDR", "ADVERTISE_ADDR", "METRICS_PORT", "DATA_DIR", "SEEDS", "LAB_CONTROL"];

export const BACKENDS = ["local", "compose"] as const;
export type BackendName = (typeof BACKENDS)[number];

const schema = obj({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a lower-case name of letters, digits and dashes"),
  description: z.string().default(""),
  /** How long the perturb stage lasts, from the first load to the last fault's end (faults must fit). */
  duration,
  /** The default seed; --seed wins. @default a random one, printed */
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  network: obj({
    backend: z.enum(BACKENDS).default("local"),
    peers: z.number().int().min(1).max(50),
    /** Peer environment (README "Configuration"). */
    env: z
      .record(ENV_KEY, z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .default({})
      .refine((env) => !LAB_OWNED_ENV.some((k) => k in env), { message: `the lab sets ${LAB_OWNED_ENV.join(", ")} itself` }),
    /**
     * The last `peers` peers run a byzantine BEHAVIOUR (README "Byzantine peers"). The checker
     * judges the honest peers only: safety and entries on their chains, liveness with the
     * byzantine ones counted as members whose votes never help. The load goes to honest peers.
     */
    byzantine: obj({
      peers: z.number().int().min(1),
      behaviour: z.enum(BEHAVIOUR_NAMES.filter((b) => b !== "honest") as [string, ...string[]]),
    }).optional(),
  }),
  load: obj({
    /** Entries per second offered (open loop). */
    rate: z.number().min(0).max(10_000),
    /** Bytes per entry. @default 64 */
    size: z.number().int().min(24).max(65_536).default(64),
    /** Which peers get the entries. @default all */
    peers: z.union([z.literal("all"), z.array(PEER_NAME).min(1)]).default("all"),
  }).default({ rate: 10, size: 64, peers: "all" }),
  faults: z.array(fault).default([]),
  nemesis: nemesis.optional(),
  expect: obj({
    /** Each fault's affected peers must be back at the network's height this long after it ends. @default 30s */
    recovery_within: duration.default(30_000),
    /** After the perturb stage, how long the wait stage gives acknowledged entries to land everywhere. @default 30s */
    settle: duration.default(30_000),
  }).default({ recovery_within: 30_000, settle: 30_000 }),
});

export type Scenario = z.output<typeof schema>;

/** Parses and checks a scenario; throws LabError("BAD_SCENARIO") with one line naming the key, the value and what is allowed. */
export function parseScenario(text: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: false });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split("\n")[0] : String(err);
    throw new LabError("BAD_SCENARIO", `${file}: not valid YAML: ${msg}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new LabError("BAD_SCENARIO", `${file}: ${describeIssue(r.error.issues[0]!, raw)}`);
  const s = r.data;
  const end = lastFaultEndMs(s);
  if (end > s.duration) {
    throw new LabError("BAD_SCENARIO", `${file}: duration: ${s.duration / 1000}s is shorter than the last fault's end at ${end / 1000}s`);
  }
  const byz = s.network.byzantine;
  if (byz && byz.peers >= s.network.peers) {
    throw new LabError("BAD_SCENARIO", `${file}: network.byzantine.peers: ${byz.peers} byzantine of ${s.network.peers} peers leaves no honest peer to judge`);
  }
  if (byz && s.network.backend !== "local") {
    throw new LabError("BAD_SCENARIO", `${file}: network.byzantine: the ${s.network.backend} backend does not run byzantine peers yet (the local backend does; on Compose scale the byzantine service by hand)`);
  }
  if (byz && s.load.peers !== "all" && s.load.peers.some((p) => byzantineNames(s).includes(p))) {
    throw new LabError("BAD_SCENARIO", `${file}: load.peers: ${s.load.peers.find((p) => byzantineNames(s).includes(p))} is byzantine; the load goes to honest peers`);
  }
  if (s.nemesis && s.nemesis.duration >= s.nemesis.interval) {
    throw new LabError("BAD_SCENARIO", `${file}: nemesis.duration: ${s.nemesis.duration / 1000}s must be shorter than nemesis.interval (${s.nemesis.interval / 1000}s): one fault at a time`);
  }
  return s;
}

/** The byzantine peers' names: the last network.byzantine.peers of peer-0 … peer-(n-1). */
export function byzantineNames(s: Scenario): string[] {
  const n = s.network.byzantine?.peers ?? 0;
  return Array.from({ length: n }, (_, i) => `peer-${s.network.peers - n + i}`);
}

function lastFaultEndMs(s: Scenario): number {
  return Math.max(0, ...s.faults.map((f) => f.at + f.duration));
}

/** `faults[0].kind: "kil" — expected kind to be one of kill, pause, …`. */
function describeIssue(iss: z.core.$ZodIssue, raw: unknown): string {
  const at = (path: readonly PropertyKey[]) =>
    path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("") || "(top level)";
  if (iss.code === "unrecognized_keys") {
    const key = iss.keys[0]!;
    const path = [...iss.path, key];
    return `${at(path)}: ${show(valueAt(raw, path))} — ${iss.message}`;
  }
  const value = valueAt(raw, iss.path);
  if (value === undefined) return `${at(iss.path)}: missing — required${iss.code === "invalid_type" ? "" : `, ${iss.message}`}`;
  return `${at(iss.path)}: ${show(value)} — ${iss.message}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
