import { readChain, type ClusterPeer } from "./cluster";
import { waitFor } from "./wait";

/** The sum of a counter's series (all its labels). */
export const counter = async (p: ClusterPeer, get: (p: ClusterPeer) => Promise<{ values: { value: number }[] }>): Promise<number> =>
  (await get(p)).values.reduce((n, v) => n + v.value, 0);

/**
 * Submits `count` entries to the honest peers in turn, then waits until every honest peer holds
 * each exactly once, and checks that their chains agree height by height.
 */
export async function submitAndCheck(honest: readonly ClusterPeer[], label: string, count = 6): Promise<void> {
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    const text = `${label} ${i}`;
    await honest[i % honest.length]!.api.submit(Buffer.from(text));
    sent.push(text);
  }
  // Every honest peer holds every entry, exactly once, and the honest chains agree height by height.
  const chains = await Promise.all(
    honest.map((p) =>
      waitFor(`${p.name} to accept all ${count} entries`, async () => {
        const chain = await readChain(p.api);
        const data = chain.flatMap((b) => b.entries.map((e) => e.data.toString()));
        return sent.every((t) => data.includes(t)) ? chain : undefined;
      }, 60_000),
    ),
  );
  for (const chain of chains) {
    const data = chain.flatMap((b) => b.entries.map((e) => e.data.toString()));
    for (const t of sent) expect(data.filter((d) => d === t)).toHaveLength(1);
  }
  const shortest = Math.min(...chains.map((c) => c.length));
  const ids = chains.map((c) => c.slice(0, shortest).map((b) => b.id.toString("hex")).join());
  expect(new Set(ids).size).toBe(1);
}
