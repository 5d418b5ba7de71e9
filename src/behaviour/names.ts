/**
 * Every behaviour a peer can run (BEHAVIOUR), in a file of its own that imports nothing: the lab
 * checks a scenario's byzantine peers against it without loading a peer's internals.
 */
export const BEHAVIOUR_NAMES = ["honest", "silent", "random", "contrarian", "balancing", "equivocator", "sync-liar", "flooder"] as const;
export type BehaviourName = (typeof BEHAVIOUR_NAMES)[number];
