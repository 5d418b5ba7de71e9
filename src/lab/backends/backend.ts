/**
 * Where a scenario's network runs. A backend starts and stops whole peers and does the process
 * faults its platform has (signals for local processes, `docker kill|pause|stop` for Compose);
 * network faults and clock skew go through each peer's Lab service and are the same everywhere,
 * except partitions under `--net real`, which the backend's packet filter does.
 */
import type { BackendName } from "../scenario";
import type { PacketFilter } from "./iptables";

export interface BackendPeer {
  /** The lab's name for it: peer-0 … */
  readonly name: string;
  /** host:port where the lab reaches its gRPC services. */
  readonly addr: string;
}

export interface Backend {
  readonly name: BackendName;
  /** `--net real`: cuts links as packet drops in the peers' namespaces. @default none: every link fault at the transport */
  readonly packetFilter?: PacketFilter;
  /** Checks what the backend needs (a build, a Docker engine) without starting anything. */
  preflight(): Promise<void>;
  /** Starts `peers` peers with `env` (LAB_CONTROL=1 included) and what `envOf` adds for a peer by name; resolves once each answers Status. */
  start(env: Readonly<Record<string, string>>, envOf?: (name: string) => Record<string, string>): Promise<void>;
  /** The peers in the network now (a scale changes them). */
  peers(): readonly BackendPeer[];
  /** SIGKILL / docker kill: no goodbye. */
  kill(name: string): Promise<void>;
  /** SIGTERM / docker stop: a clean stop. */
  stop(name: string): Promise<void>;
  /** Starts a killed or stopped peer again on its data; resolves once it answers Status. */
  startAgain(name: string): Promise<void>;
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** Scales to n peers; the names added and removed. */
  scale(n: number): Promise<{ added: string[]; removed: string[] }>;
  /** Stops every peer and removes what start made (keeps logs under the run's directory). */
  teardown(): Promise<void>;
  /** What `lab clean` needs to remove this network if the lab dies: written to the state file. */
  leftovers(): Record<string, unknown>;
}
