import type { Signer } from "../chain/keys";
import type { Behaviour, BehaviourName, LedgerView } from "./behaviour";
import { EquivocatorBehaviour } from "./equivocator";
import { FlooderBehaviour } from "./flooder";
import { HonestBehaviour } from "./honest";
import { answeringBehaviour } from "./liars";
import { SyncLiarBehaviour } from "./sync-liar";

export interface BehaviourDeps {
  readonly view: LedgerView;
  readonly signer: Signer;
  readonly random: () => number;
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
    case "balancing":
      return answeringBehaviour(name, view, random);
    case "equivocator":
      return new EquivocatorBehaviour(view);
    case "sync-liar":
      return new SyncLiarBehaviour(view, signer);
    case "flooder":
      return new FlooderBehaviour(view);
  }
}
