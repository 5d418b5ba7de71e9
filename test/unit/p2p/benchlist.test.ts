import { Benchlist } from "../../../src/p2p/benchlist";

describe("Benchlist", () => {
  it("benches a member after three timeouts in a row, for two seconds, then lets one query through", () => {
    const changes: number[] = [];
    const b = new Benchlist((n) => changes.push(n));
    b.timedOut("m", 0);
    b.timedOut("m", 10);
    expect(b.isBenched("m", 20)).toBe(false);
    b.timedOut("m", 30);
    expect(b.isBenched("m", 40)).toBe(true);
    expect(b.isBenched("m", 2_029)).toBe(true);
    // Time is up: this one goes through...
    expect(b.isBenched("m", 2_031)).toBe(false);
    // ...and a single further timeout benches it again at once.
    b.timedOut("m", 3_000);
    expect(b.isBenched("m", 3_001)).toBe(true);
    expect(changes).toEqual([1, 0, 1]);
  });

  it("an answer clears the count and the bench; answers in between keep a member off it", () => {
    const b = new Benchlist();
    b.timedOut("m", 0);
    b.timedOut("m", 0);
    b.answered("m");
    b.timedOut("m", 0);
    b.timedOut("m", 0);
    expect(b.isBenched("m", 1)).toBe(false);
    b.timedOut("m", 1);
    expect(b.isBenched("m", 2)).toBe(true);
    b.answered("m");
    expect(b.isBenched("m", 3)).toBe(false);
    expect(b.size).toBe(0);
  });

  it("benches members one by one", () => {
    const b = new Benchlist();
    for (let i = 0; i < 3; i++) b.timedOut("slow", 0);
    expect(b.isBenched("slow", 1)).toBe(true);
    expect(b.isBenched("fine", 1)).toBe(false);
    b.forget("slow");
    expect(b.isBenched("slow", 1)).toBe(false);
  });
});
