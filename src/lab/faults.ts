/**
 * The catalogue of faults, in one file (as CometBFT keeps its perturbations in perturb.go): for
 * each kind, its colour on the report and how it starts and ends on a live network. Every start
 * has an end that undoes it; the runner calls the end of every started fault on the way out,
 * whatever happened.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../testnet/wait";
import type { LiveNetwork } from "./live-network";
import type { FaultKind } from "./scenario";
import type { PlannedFault } from "./schedule";

/** Each kind its own colour (Jepsen's nemesis bands), used by the report and its legend. */
export const FAULT_COLOURS: Readonly<Record<FaultKind, string>> = {
  kill: "#d62728",
  pause: "#ff7f0e",
  restart: "#8c564b",
  "rolling-restart": "#e377c2",
  partition: "#1f77b4",
  loss: "#9467bd",
  delay: "#17becf",
  duplicate: "#bcbd22",
  "clock-skew": "#2ca02c",
  scale: "#7f7f7f",
};

/** How long a rolling restart waits for a restarted peer to catch up before the next. */
const ROLLING_CATCH_UP_MS = 30_000;

export interface FaultAction {
  start(net: LiveNetwork, f: PlannedFault): Promise<void>;
  end(net: LiveNetwork, f: PlannedFault): Promise<void>;
}

const each = (f: PlannedFault, fn: (name: string) => Promise<void>): Promise<unknown> => Promise.all(f.targets.map(fn));

const startAgain = (net: LiveNetwork, name: string): Promise<void> =>
  net.isRunning(name) ? Promise.resolve() : net.backend.startAgain(name).then(() => net.joined(name));

/** `cut`: a partition, which `--net real` does as packet drops; the other link faults stay at the transport. */
const links = (cut: boolean): FaultAction => ({
  start: (net, f) => net.setLinks(f.id, f.links ?? [], f.effect!, cut),
  end: (net, f) => net.clearLinks(f.id),
});

/** Takes each target down with `act` and records how it went. */
const takeDown =
  (how: "killed" | "paused" | "stopped", act: (net: LiveNetwork, name: string) => Promise<void>) =>
  (net: LiveNetwork, f: PlannedFault): Promise<unknown> =>
    each(f, async (n) => {
      await act(net, n);
      net.left(n, how);
    });

const bringBack = async (net: LiveNetwork, f: PlannedFault): Promise<void> => {
  await each(f, (n) => startAgain(net, n));
};

export const FAULT_ACTIONS: Readonly<Record<FaultKind, FaultAction>> = {
  kill: { start: async (net, f) => void (await takeDown("killed", (x, n) => x.backend.kill(n))(net, f)), end: bringBack },
  pause: {
    start: async (net, f) => void (await takeDown("paused", (x, n) => x.backend.pause(n))(net, f)),
    end: async (net, f) => {
      await each(f, async (n) => {
        await net.backend.resume(n);
        await net.joined(n);
      });
    },
  },
  restart: { start: async (net, f) => void (await takeDown("stopped", (x, n) => x.backend.stop(n))(net, f)), end: bringBack },
  "rolling-restart": {
    // One at a time: stop, stay down for the downtime, start, wait until caught up, next.
    start: async (net, f) => {
      for (const n of f.targets) {
        await net.backend.stop(n);
        net.left(n, "stopped");
        if ((f.downtimeMs ?? 0) > 0) await sleep(f.downtimeMs);
        await startAgain(net, n);
        await catchUp(net, n);
      }
    },
    end: bringBack,
  },
  partition: links(true),
  loss: links(false),
  delay: links(false),
  duplicate: links(false),
  "clock-skew": {
    start: async (net, f) => {
      await each(f, (n) => net.setSkew(n, f.skewMs ?? 0));
    },
    end: async (net, f) => {
      await each(f, (n) => net.setSkew(n, 0));
    },
  },
  scale: {
    start: (net, f) => scaleTo(net, f.scaleTo!),
    end: (net) => scaleTo(net, net.initialPeers),
  },
};

/** Waits until `name` has the height the others had when it came back. */
async function catchUp(net: LiveNetwork, name: string): Promise<void> {
  const heights = await Promise.all(net.names().filter((n) => n !== name && net.isRunning(n)).map((n) => net.control(n)!.api.status(2000).then((s) => Number(s.height), () => 0)));
  const target = Math.max(0, ...heights);
  await waitFor(
    `${name} to catch up to height ${target}`,
    async () => ((await net.control(name)?.api.status(2000))?.height ?? 0) >= target || undefined,
    ROLLING_CATCH_UP_MS,
    200,
  );
}

/**
 * Compose removes the highest-numbered replicas on a scale-down: they are recorded as gone when
 * the removal begins (their processes are stopped then), not when `up` returns seconds later, so
 * the grace period the checker counts starts when the peers' does.
 */
async function scaleTo(net: LiveNetwork, n: number): Promise<void> {
  const before = net.names();
  const doomed = before.filter((name) => Number(/(\d+)$/.exec(name)?.[1] ?? -1) >= n);
  for (const d of doomed) net.left(d, "removed");
  const { added, removed } = await net.backend.scale(n);
  for (const r of removed) if (!doomed.includes(r) && before.includes(r)) net.left(r, "removed");
  for (const a of added) await net.joined(a);
}
