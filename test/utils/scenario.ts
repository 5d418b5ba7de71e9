/**
 * A scenario of steps that build on each other's state (a network brought up, faulted, scaled):
 * once one step fails, the later ones fail at once, naming it, instead of waiting out their
 * deadlines against a broken network.
 */
export class Scenario {
  /** The first step that failed. */
  broken: string | undefined;

  /** Declares a jest test that is one step of the scenario. */
  step(name: string, fn: () => Promise<void>, timeoutMs?: number): void {
    test(
      name,
      async () => {
        if (this.broken !== undefined) throw new Error(`not run: an earlier step failed ("${this.broken}")`);
        try {
          await fn();
        } catch (err) {
          this.broken = name;
          throw err;
        }
      },
      timeoutMs,
    );
  }
}
