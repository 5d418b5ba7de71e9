import type { BehaviourName } from "../../src/behaviour/behaviour";
import { ProcessNet } from "../utils/process-net";
import { waitFor } from "../utils/wait";

/**
 * Byzantine peers as real processes beside honest ones (BEHAVIOUR per process, as in Compose and
 * `npm run testnet -- --byzantine N`). Honest peers must never accept different blocks at a
 * height, and every entry an honest peer acknowledged is accepted exactly once on each of them.
 */
describe.each<[string, BehaviourName[]]>([
  ["silent, equivocator and sync-liar", ["silent", "equivocator", "sync-liar"]],
  ["random, balancing and flooder", ["random", "balancing", "flooder"]],
])("honest processes beside %s", (_label, liars) => {
  const honest = liars.length === 3 && liars.includes("silent") ? 4 : 5;
  let p: ProcessNet;

  beforeAll(async () => {
    p = await ProcessNet.start(honest + liars.length, { POLL_TIMEOUT_MS: "300" }, (i): Record<string, string> => (i >= honest ? { BEHAVIOUR: liars[i - honest]! } : {}));
    for (let i = 0; i < honest; i++) {
      await waitFor(`peer-${i} to know every other peer`, async () => ((await p.api(i).status()).known_peers === honest + liars.length - 1 ? true : undefined), 30_000);
    }
  });
  afterAll(() => p?.stop());

  it("agree, and accept every acknowledged entry exactly once", async () => {
    const texts = Array.from({ length: honest * 2 }, (_, i) => `${liars.join("+")} ${i}`);
    for (const [i, t] of texts.entries()) await p.api(i % honest).submit(Buffer.from(t));
    // Entries given to the byzantine peers too: whatever they make of them, nothing doubles.
    for (let i = honest; i < honest + liars.length; i++) await p.api(i).submit(Buffer.from(`via ${liars[i - honest]}`)).catch(() => undefined);
    const chains = await Promise.all(
      Array.from({ length: honest }, (_, i) =>
        waitFor(`peer-${i} to hold every entry`, async () => {
          const chain = await p.chain(i);
          const data = new Set(chain.flatMap((b) => b.entries.map((e) => e.data.toString())));
          return texts.every((t) => data.has(t)) ? chain : undefined;
        }, 90_000),
      ),
    );
    for (const chain of chains) {
      const data = chain.flatMap((b) => b.entries.map((e) => e.data.toString()));
      expect(data.length).toBe(new Set(data).size); // no entry twice
    }
    const common = Math.min(...chains.map((c) => c.length));
    expect(new Set(chains.map((c) => c.slice(0, common).map((b) => b.id.toString("hex")).join())).size).toBe(1);
  });
});
