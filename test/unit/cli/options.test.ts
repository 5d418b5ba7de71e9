import { UsageError } from "../../../src/cli/errors";
import {
  formatAddress,
  parseAddress,
  parseHeight,
  parseId,
  parseInteger,
  parsePositive,
  resolveAddress,
} from "../../../src/cli/options";

describe("address parsing", () => {
  it.each([
    ["127.0.0.1:50051", { host: "127.0.0.1", port: 50051 }],
    ["peer:50051", { host: "peer", port: 50051 }],
    ["my-host.example.org:1", { host: "my-host.example.org", port: 1 }],
    ["[::1]:65535", { host: "::1", port: 65535 }],
  ])("accepts %s", (value, expected) => {
    expect(parseAddress(value)).toEqual(expected);
  });

  it.each(["", "peer", "peer:", ":50051", "peer:0", "peer:65536", "peer:5x", "::1:50051", "a b:1", "http://peer:1"])(
    "rejects %j with a reason",
    (value) => {
      expect(typeof parseAddress(value)).toBe("string");
    },
  );

  it("says which of DNS's limits a host name breaks", () => {
    expect(parseAddress(`${"a".repeat(300)}:1`)).toBe(`"${"a".repeat(300)}:1": must be host:port with a host name of at most 253 characters, got 300`);
    expect(parseAddress("peer:0")).toBe('"peer:0": the port must be from 1 to 65535');
  });

  it("formats IPv6 hosts in brackets so grpc-js can dial them", () => {
    expect(formatAddress({ host: "::1", port: 5 })).toBe("[::1]:5");
    expect(formatAddress({ host: "peer", port: 5 })).toBe("peer:5");
  });

  it("takes --addr first, then SNOWCHAIN_ADDR, then 127.0.0.1:50051", () => {
    expect(resolveAddress("a:1", { SNOWCHAIN_ADDR: "b:2" })).toEqual({ host: "a", port: 1 });
    expect(resolveAddress(undefined, { SNOWCHAIN_ADDR: "b:2" })).toEqual({ host: "b", port: 2 });
    expect(resolveAddress(undefined, { SNOWCHAIN_ADDR: "  " })).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(resolveAddress(undefined, {})).toEqual({ host: "127.0.0.1", port: 50051 });
  });

  it("names the environment variable when its address is bad", () => {
    expect(() => resolveAddress(undefined, { SNOWCHAIN_ADDR: "nope" })).toThrow(UsageError);
    expect(() => resolveAddress(undefined, { SNOWCHAIN_ADDR: "nope" })).toThrow(/^SNOWCHAIN_ADDR: "nope" is not host:port/);
  });
});

describe("value parsing", () => {
  it("reads heights as whole numbers ≥ 0", () => {
    expect(parseHeight("0")).toBe(0);
    expect(parseHeight("42")).toBe(42);
    for (const bad of ["-1", "1.5", "x", "", "1e3", "99999999999999999999"]) expect(typeof parseHeight(bad)).toBe("string");
  });

  it("reads ids as 64 hex characters into 32 raw bytes, any case", () => {
    const id = "AB".repeat(32);
    const bytes = parseId(id);
    expect(Buffer.isBuffer(bytes) && bytes.length).toBe(32);
    expect((bytes as Buffer).toString("hex")).toBe(id.toLowerCase());
    for (const bad of ["ab", "g".repeat(64), "a".repeat(63), "a".repeat(65), ""]) expect(typeof parseId(bad)).toBe("string");
  });

  it("reads positive numbers with an upper bound", () => {
    expect(parsePositive("2.5")).toBe(2.5);
    expect(parsePositive("100", 100)).toBe(100);
    for (const bad of ["0", "-1", "x", "101", "1e2", ""]) expect(typeof parsePositive(bad, 100)).toBe("string");
  });

  it("reads whole numbers within bounds", () => {
    expect(parseInteger("24", 24, 30)).toBe(24);
    for (const bad of ["23", "31", "2.5", "x"]) expect(typeof parseInteger(bad, 24, 30)).toBe("string");
  });
});
