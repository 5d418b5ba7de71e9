export { EventQueue } from "./queue";
export { SeededRandom, mulberry32 } from "./random";
export {
  DEFAULT_LATENCY,
  TICK_MS,
  SIM_GENESIS,
  SimNode,
  Simulation,
  ownSideFirst,
  simBlock,
  type Latency,
  type RunOptions,
  type SimMode,
  type SimOptions,
  type SimStats,
} from "./simulation";
