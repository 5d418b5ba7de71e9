import type { Random } from "../../../src/consensus/ports";

export { mulberry32, SeededRandom } from "../../../src/sim/random";

/** A Random that replays fixed values, to pick exact samples in engine tests. */
export class ScriptedRandom implements Random {
  private i = 0;

  constructor(private readonly values: readonly number[]) {}

  next(): number {
    const v = this.values[this.i % this.values.length];
    this.i++;
    return v;
  }
}
