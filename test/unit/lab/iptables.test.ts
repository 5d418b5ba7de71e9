import { filterTable, NO_DROPS } from "../../../src/lab/backends/iptables";

describe("a peer namespace's filter table (--net real)", () => {
  it("drops what the peer sends to one side and gets from the other, each address once, in one table", () => {
    expect(filterTable({ outTo: ["198.18.130.12", "198.18.130.11", "198.18.130.12"], inFrom: ["198.18.130.13"] }).split("\n")).toEqual([
      "*filter",
      ":INPUT ACCEPT [0:0]",
      ":FORWARD ACCEPT [0:0]",
      ":OUTPUT ACCEPT [0:0]",
      "-A INPUT -s 198.18.130.13/32 -m comment --comment snowlab -j DROP",
      "-A OUTPUT -d 198.18.130.11/32 -m comment --comment snowlab -j DROP",
      "-A OUTPUT -d 198.18.130.12/32 -m comment --comment snowlab -j DROP",
      "COMMIT",
      "",
    ]);
  });

  it("with no drops is a table that lets everything through: what a window's end restores", () => {
    expect(filterTable(NO_DROPS)).not.toMatch(/DROP/);
    expect(filterTable(NO_DROPS)).toMatch(/^\*filter\n[\s\S]*COMMIT\n$/);
  });
});
