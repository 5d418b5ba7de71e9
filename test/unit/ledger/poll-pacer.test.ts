import { PollPacer } from "../../../src/ledger/poll-pacer";

describe("PollPacer", () => {
  function pacer(opts: { heardAgoMs: number; members?: boolean }) {
    const timers: number[] = [];
    let immediates = 0;
    let now = 10_000;
    let heard = now - opts.heardAgoMs;
    const p = new PollPacer({
      now: () => now,
      lastAnswerMs: () => heard,
      hasMembers: () => opts.members ?? true,
      setTimer: (_t, ms) => timers.push(ms),
      setImmediate: () => immediates++,
    });
    const poll = (outcome?: { successful: boolean; durationMs: number }): void => {
      p.observe(outcome);
      p.schedule(() => {});
    };
    return { p, timers, poll, immediates: () => immediates, hear: () => (heard = now), tick: (ms: number) => (now += ms) };
  }

  it("runs the next poll after pending I/O, without a pause, while members answer", () => {
    const h = pacer({ heardAgoMs: 5 });
    for (let i = 0; i < 5; i++) h.poll();
    expect(h.immediates()).toBe(5);
    expect(h.timers).toEqual([]);
  });

  it("doubles the pause after each poll while no member answers, up to 100 ms, and drops it at the first answer", () => {
    const h = pacer({ heardAgoMs: 5_000 });
    for (let i = 0; i < 9; i++) h.poll();
    expect(h.timers).toEqual([1, 2, 4, 8, 16, 32, 64, 100, 100]);
    h.hear();
    h.poll();
    expect(h.p.pauseMs).toBe(0);
    expect(h.immediates()).toBe(1);
  });

  it("never paces a network of one (it decides alone, as fast as it can)", () => {
    const h = pacer({ heardAgoMs: Infinity, members: false });
    for (let i = 0; i < 3; i++) h.poll();
    expect(h.timers).toEqual([]);
  });

  it("paces polls that fail at once while members answer (benched members), and runs the next at once after one that took its time or succeeded", () => {
    const h = pacer({ heardAgoMs: 5 });
    for (let i = 0; i < 4; i++) h.poll({ successful: false, durationMs: 0.5 });
    expect(h.timers).toEqual([1, 2, 4, 8]);
    h.poll({ successful: false, durationMs: 400 }); // failed on answers that came: no spin
    expect(h.p.pauseMs).toBe(0);
    h.poll({ successful: false, durationMs: 1 });
    h.poll({ successful: true, durationMs: 1 });
    expect(h.p.pauseMs).toBe(0);
    expect(h.timers).toEqual([1, 2, 4, 8, 1]);
  });
});
