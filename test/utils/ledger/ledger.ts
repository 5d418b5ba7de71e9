import pino from "pino";
import { genesisBlock } from "../../../src/chain/genesis";
import { Mempool } from "../../../src/chain/mempool";
import { MempoolJournal } from "../../../src/chain/mempool-journal";
import { BlockStore } from "../../../src/chain/store";
import type { Block } from "../../../src/chain/types";
import { DEFAULT_SNOWBALL_PARAMS } from "../../../src/consensus/params";
import { AcceptanceEvents } from "../../../src/ledger/acceptance-events";
import { AcceptedChain } from "../../../src/ledger/accepted-chain";
import { Ledger, type Equivocation } from "../../../src/ledger/ledger";
import { PendingEntries } from "../../../src/ledger/pending-entries";
import { createMetrics, type Metrics } from "../../../src/metrics/metrics";

export interface TestLedger {
  readonly ledger: Ledger;
  readonly store: BlockStore;
  readonly genesis: Block;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/** A real Ledger over a real store and journal in `dir`, wired as node.ts wires it. */
export async function openLedger(dir: string, network = "snowchain", onEquivocation?: (e: Equivocation) => void): Promise<TestLedger> {
  const genesis = genesisBlock(network);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const metrics = createMetrics({ nodeId: "test", version: "test" });
  const store = await BlockStore.open(dir, genesis);
  const { journal } = await MempoolJournal.open(dir);
  const events = new AcceptanceEvents(log);
  const chain = new AcceptedChain({ store, events, log, onStoreFailure: () => {} });
  const entries = new PendingEntries({ mempool: new Mempool({ maxEntries: 1000, maxBytes: 1 << 20 }), journal, isAccepted: (id) => chain.isAccepted(id), metrics });
  const limits = { maxEntryBytes: 65536, maxBlockEntries: 1000, maxBlockBytes: 1 << 20 };
  const ledger = new Ledger({ snowball: DEFAULT_SNOWBALL_PARAMS, limits }, { chain, entries, events, now: Date.now, log, metrics, onEquivocation });
  return {
    ledger,
    store,
    genesis,
    metrics,
    close: async () => {
      await ledger.flush();
      await store.close();
      await journal.close();
    },
  };
}

/** Closes `t` and opens its directory again, listening for equivocation evidence. */
export async function reopenWith(t: TestLedger, dir: string, onEquivocation: (e: Equivocation) => void): Promise<TestLedger> {
  await t.close();
  return openLedger(dir, "snowchain", onEquivocation);
}
