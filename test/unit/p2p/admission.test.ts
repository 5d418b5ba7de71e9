import { AdmissionLimiter } from "../../../src/p2p/admission";

describe("AdmissionLimiter", () => {
  let now = 0;
  const limiter = (): AdmissionLimiter => new AdmissionLimiter(() => now, { burst: 2, perSecond: 1 }, { burst: 3, perSecond: 2 }, 1);
  beforeEach(() => (now = 0));

  it("lets a burst per source through, then refills at its rate", () => {
    const l = limiter();
    expect(l.take("a")).toBeUndefined();
    expect(l.take("a")).toBeUndefined();
    expect(l.take("a")).toBe("more than 2 new members from a (refilled at 1/s)");
    now = 999;
    expect(l.take("a")).toBeDefined();
    now = 1000;
    expect(l.take("a")).toBeUndefined();
  });

  it("bounds all sources together", () => {
    const l = limiter();
    expect(l.take("a")).toBeUndefined();
    expect(l.take("b")).toBeUndefined();
    expect(l.take("c")).toBeUndefined();
    expect(l.take("d")).toBe("more than 3 new members (refilled at 2/s)");
    now = 500;
    expect(l.take("d")).toBeUndefined();
  });

  it("a refused admission costs nothing", () => {
    const l = limiter();
    l.take("a");
    l.take("a");
    expect(l.take("a")).toBeDefined();
    // The total bucket lost only the two admissions that were granted.
    expect(l.take("b")).toBeUndefined();
    expect(l.take("c")).toBe("more than 3 new members (refilled at 2/s)");
  });

  it("refuses while the dial-backs in flight are at their bound, and again admits once they end", async () => {
    const l = limiter();
    let release!: () => void;
    const out = l.dialBack(() => new Promise<void>((r) => (release = r)));
    expect(l.take("a")).toBe("1 admissions are being checked already");
    release();
    await out;
    expect(l.take("a")).toBeUndefined();
  });

  it("a failing dial-back frees its place too", async () => {
    const l = limiter();
    await expect(l.dialBack(() => Promise.reject(new Error("unreachable")))).rejects.toThrow("unreachable");
    expect(l.take("a")).toBeUndefined();
  });
});
