export type { NodeId, Query, QueryReply, SnowballParams } from "./types";
export type { Clock, Membership, Network, Random } from "./ports";
export { DEFAULT_SNOWBALL_PARAMS, validateSnowballParams } from "./params";
export { Snowball } from "./snowball";
export { Poll } from "./poll";
export { Consensus, type AddResult, type Decisions } from "./consensus";
export { Engine, answerQuery, type EngineDeps, type PollReport } from "./engine";
