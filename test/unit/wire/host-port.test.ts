import { formatHostPort, isDialable, parseHostPort, tryParseHostPort, whyNotDialable } from "../../../src/wire/host-port";
import { isValidPeer } from "../../../src/wire/peer-info";

/** A host name of exactly `n` characters in labels of at most 63. */
function hostOf(n: number): string {
  const labels: string[] = [];
  let left = n;
  while (left > 0) {
    const len = Math.min(63, left === 64 ? 62 : left); // never leave a label of 0 after the last dot
    labels.push("a".repeat(len));
    left -= len + 1;
  }
  const host = labels.join(".");
  expect(host).toHaveLength(n);
  return host;
}

describe("host:port follows DNS's limits, or is an IP literal", () => {
  it.each([
    ["peer:50051", { host: "peer", port: 50051 }],
    ["tasks.peer:50051", { host: "tasks.peer", port: 50051 }],
    ["peer-0.peer.default.svc.cluster.local:1", { host: "peer-0.peer.default.svc.cluster.local", port: 1 }],
    ["127.0.0.1:65535", { host: "127.0.0.1", port: 65535 }],
    ["[::1]:9", { host: "::1", port: 9 }],
    ["[fd00::7]:50051", { host: "fd00::7", port: 50051 }],
    ["x1.example:7", { host: "x1.example", port: 7 }],
    ["1a:7", { host: "1a", port: 7 }],
  ])("takes %s", (value, expected) => {
    expect(tryParseHostPort(value)).toEqual(expected);
    expect(isDialable(value)).toBe(true);
  });

  it("takes a name of 253 characters and labels of 63, the limits themselves", () => {
    expect(isDialable(`${hostOf(253)}:1`)).toBe(true);
    expect(isDialable(`${"b".repeat(63)}.peer:1`)).toBe(true);
  });

  it.each([
    ["a name of 254 characters", `${hostOf(254)}:1`, "must be host:port with a host name of at most 253 characters, got 254"],
    ["a name of 300 characters", `${hostOf(300)}:1`, "must be host:port with a host name of at most 253 characters, got 300"],
    ["a name of 10,000 characters", `${"a".repeat(10_000)}:1`, "must be host:port with a host name of at most 253 characters, got 10000"],
    ["a label of 64 characters", `${"b".repeat(64)}.peer:1`, /^must be host:port with host name labels \(between dots\) of 1 to 63 characters, got one of 64 in "b{64}\.peer"$/],
    ["an empty label", "a..b:1", 'must be host:port with host name labels (between dots) of 1 to 63 characters, got one of 0 in "a..b"'],
    ["a trailing dot", "peer.:1", /got one of 0 in "peer\."$/],
    ["a leading hyphen", "-peer:1", `must be host:port with host name labels that do not start or end with '-', got "-peer"`],
    ["a trailing hyphen", "a.peer-.b:1", `must be host:port with host name labels that do not start or end with '-', got "peer-"`],
    ["a plus sign", "my+peer:1", `must be host:port with a host name of letters, digits, '-', '_' and '.', got "my+peer"`],
    ["a non-ASCII letter", "pé:1", /^must be host:port with a host name of letters, digits, '-', '_' and '\.'/],
    ["an IPv4 number above 255", "256.1.1.1:1", 'must be host:port with an IPv4 address of four numbers from 0 to 255, got "256.1.1.1"'],
    ["three numbers", "1.2.3:1", /IPv4 address of four numbers/],
    ["a bracketed IPv4", "[1.2.3.4]:1", "must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)"],
    ["no port", "peer", "must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)"],
    ["port 0", "peer:0", "must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)"],
    ["a URL", "http://peer:1", "must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)"],
  ])("refuses %s, saying which rule it breaks", (_what, value, why) => {
    const r = parseHostPort(value);
    expect(typeof r).toBe("string");
    if (typeof why === "string") expect(r).toBe(why);
    else expect(r).toMatch(why);
    expect(tryParseHostPort(value)).toBeUndefined();
    expect(isDialable(value)).toBe(false);
  });

  it("quotes at most 80 characters of what it was sent", () => {
    expect((parseHostPort(`${"x".repeat(200)}_:1`) as string).length).toBeLessThan(200);
  });

  it("takes port 0 only where the OS picks the port (listening)", () => {
    expect(tryParseHostPort("0.0.0.0:0", 0)).toEqual({ host: "0.0.0.0", port: 0 });
    expect(parseHostPort("0.0.0.0:0")).toBe("must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)");
  });

  it("checks an address sent by a peer exactly as sent: surrounding blanks are not dialable", () => {
    expect(tryParseHostPort(" peer:1 ")).toEqual({ host: "peer", port: 1 }); // the environment's values are trimmed
    expect(whyNotDialable(" peer:1")).toBe("must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)");
    expect(whyNotDialable("peer:1")).toBeUndefined();
  });

  it("formats IPv6 hosts in brackets so grpc-js can dial them", () => {
    expect(formatHostPort(tryParseHostPort("[::1]:5")!)).toBe("[::1]:5");
    expect(formatHostPort(tryParseHostPort("peer:5")!)).toBe("peer:5");
  });
});

describe("a peer named on the wire", () => {
  it("is valid with a node id at a dialable address", () => {
    expect(isValidPeer({ node_id: "peer-1", address: "peer-1.peer:50051" })).toBe(true);
  });

  it.each([
    ["a 300-character host", `${hostOf(300)}:1`],
    ["a 10,000-character host", `${"a".repeat(10_000)}:1`],
    ["a 64-character label", `${"b".repeat(64)}:1`],
  ])("is not valid at %s", (_what, address) => {
    expect(isValidPeer({ node_id: "peer-1", address })).toBe(false);
  });
});
