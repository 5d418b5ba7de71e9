import type { Signer } from "../chain/keys";
import type { Behaviour, BehaviourName, LedgerView } from "./behaviour";
import { EquivocatorBehaviour } from "./equivocator";
import { FlooderBehaviour } from "./flooder";
import { HonestBehaviour } from "./honest";
import { answeringBehaviour, BalancingBehaviour } from "./liars";
import { SyncLiarBehaviour } from "./sync-liar";

export interface BehaviourDeps {
  readonly view: LedgerView;
  readonly signer: Signer;
  readonly random: () => number;
  /** BYZANTINE_GROUP, for a balancing peer that reports to its fellows. @default none */
  readonly group?: string;
  /** The clock of the collusion's bounds. @default Date.now */
  readonly now?: () => number;
}

/** The behaviour BEHAVIOUR names: the one place that maps names to implementations. */
export function createBehaviour(name: BehaviourName, deps: BehaviourDeps): Behaviour {
  const { view, signer, random } = deps;
  switch (name) {
    case "honest":
      return new HonestBehaviour(view);
    case "silent":
    case "random":
    case "contrarian":
      return answeringBehaviour(name, view, random);
    case "balancing":
      // Alone, it is the simulator's balancer too; with a group it reports to its fellows.
      return new BalancingBehaviour(view, random, undefined, deps.group === undefined ? undefined : { group: deps.group, now: deps.now ?? Date.now });
    case "equivocator":
      return new EquivocatorBehaviour(view);
    case "sync-liar":
      return new SyncLiarBehaviour(view, signer);
    case "flooder":
      return new FlooderBehaviour(view);
  }
}
