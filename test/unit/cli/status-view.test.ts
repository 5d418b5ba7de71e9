import { tidyDetails } from "../../../src/cli/errors";
import { renderPeerTable, renderSummary, type PeerView } from "../../../src/testnet/status-view";
import { makeStatus } from "../../utils/cli/fake-api";

const views: PeerView[] = [
  { nodeId: "peer-0", addr: "127.0.0.1:50051", running: true, paused: false, status: makeStatus({ height: 12, preferred_height: 14 }) },
  { nodeId: "peer-1", addr: "127.0.0.1:50052", running: true, paused: false, status: makeStatus({ height: 12, preferred_height: 12, syncing: true }) },
  { nodeId: "peer-2", addr: "127.0.0.1:50053", running: true, paused: false },
  { nodeId: "peer-3", addr: "127.0.0.1:50054", running: true, paused: true },
  { nodeId: "peer-4", addr: "127.0.0.1:50055", running: false, paused: false, exit: "signal SIGKILL" },
];

describe("testnet status view", () => {
  it("shows one aligned line per peer: height, preference in flight, processing, peers, mempool", () => {
    expect(renderPeerTable(views)).toEqual([
      "NODE    ADDRESS          HEIGHT  PREFERRED  PROCESSING  PEERS  MEMPOOL  STATE",
      "peer-0  127.0.0.1:50051  12      14 (+2)    2           3/4    12       ok",
      "peer-1  127.0.0.1:50052  12      12         2           3/4    12       syncing",
      "peer-2  127.0.0.1:50053  -       -          -           -      -        down",
      "peer-3  127.0.0.1:50054  -       -          -           -      -        paused",
      "peer-4  127.0.0.1:50055  -       -          -           -      -        exited (signal SIGKILL)",
    ]);
  });

  it("sums up who answers and the height range", () => {
    expect(renderSummary(views)).toBe("2/5 peers answering, height 12");
    expect(renderSummary([views[0]!, { ...views[1]!, status: makeStatus({ height: 9 }) }])).toBe("2/2 peers answering, height 9..12");
    expect(renderSummary([views[2]!])).toBe("0/1 peers answering");
  });
});

describe("gRPC error details", () => {
  it("drops grpc-js's connection wrapping", () => {
    expect(tidyDetails("No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:50051. Resolution note: ")).toBe(
      "connect ECONNREFUSED 127.0.0.1:50051",
    );
    expect(tidyDetails("Deadline exceeded after 1.002s")).toBe("Deadline exceeded after 1.002s");
    expect(tidyDetails("line one\n  line two")).toBe("line one line two");
  });
});
