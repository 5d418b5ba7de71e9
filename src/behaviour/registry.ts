import type { Signer } from "../chain/keys";
import type { Behaviour, BehaviourName, LedgerView } from "./behaviour";
import { EquivocatorBehaviour } from "./equivocator";
import { FlooderBehaviour } from "./flooder";
import { HonestBehaviour } from "./honest";
import { BalancingBehaviour, contrarianBehaviour, randomBehaviour, SilentBehaviour } from "./liars";
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
      return new SilentBehaviour(view);
    case "random":
      return randomBehaviour(view, random);
    case "contrarian":
      return contrarianBehaviour(view, random);
    case "balancing":
      return new BalancingBehaviour(view, random, undefined, deps.group === undefined ? undefined : { group: deps.group, now: deps.now ?? Date.now });
    case "equivocator":
      return new EquivocatorBehaviour(view);
    case "sync-liar":
      return new SyncLiarBehaviour(view, signer);
    case "flooder":
      return new FlooderBehaviour(view);
  }
}
