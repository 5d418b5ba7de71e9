/**
 * The architecture as rules (npm run lint:deps, part of npm test): dependencies point one way,
 * and the walls DESIGN.md draws between modules are checked, not only drawn.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "An import cycle: modules that need each other are one module, or need a port.", from: {}, to: { circular: true } },
    {
      name: "consensus-is-pure",
      severity: "error",
      comment: "consensus/ is a state machine fed votes: no gRPC, logging, metrics, timers or I/O, and only types of chain/.",
      from: { path: "^src/consensus/" },
      to: { pathNot: ["^src/consensus/", "^src/errors\\.ts$", "^src/chain/types\\.ts$"] },
    },
    {
      name: "api-and-p2p-share-only-wire",
      severity: "error",
      comment: "The server (api/) and the transport (p2p/) meet in wire/, never in each other's files.",
      from: { path: "^src/api/" },
      to: { path: "^src/p2p/" },
    },
    { name: "p2p-not-api", severity: "error", from: { path: "^src/p2p/" }, to: { path: "^src/api/" } },
    {
      name: "config-only-at-the-root",
      severity: "error",
      comment: "Only the composition root and the peer's entry read the configuration; below them, parts receive their options (types are fine).",
      from: { path: "^src/", pathNot: ["^src/node\\.ts$", "^src/run-peer\\.ts$"] },
      to: { path: "^src/config\\.ts$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "node-is-the-root",
      severity: "error",
      comment: "Nothing but the peer's entry builds a node.",
      from: { path: "^src/", pathNot: ["^src/run-peer\\.ts$"] },
      to: { path: "^src/node\\.ts$" },
    },
    {
      name: "ledger-knows-no-network",
      severity: "error",
      comment: "ledger/ reaches peers through ports (SyncPeers, fetch and send functions) that p2p/ implements.",
      from: { path: "^src/(ledger|behaviour|chain)/" },
      to: { path: ["^src/(api|p2p|cli|testnet|lab)/", "^@grpc/"] },
    },
    {
      name: "behaviour-below-ledger",
      severity: "error",
      comment: "A behaviour reads the chain through LedgerView; the ledger uses behaviours, not the other way round.",
      from: { path: "^src/behaviour/" },
      to: { path: "^src/ledger/" },
    },
    {
      name: "lab-drives-from-outside",
      severity: "error",
      comment:
        "The fault lab drives peers from the outside (CLI, gRPC, processes, Docker): it imports the wire types and loader, the CLI's client and load generator, the local testnet runner and its own files, never a peer's internals.",
      from: { path: "^src/lab/" },
      to: {
        path: "^src/",
        pathNot: ["^src/lab/", "^src/wire/(generated/|proto\\.ts$|channel\\.ts$)", "^src/cli/(client\\.ts$|load/)", "^src/testnet/", "^src/package-info\\.ts$", "^src/behaviour/names\\.ts$"],
      },
    },
    {
      name: "lab-checker-is-pure",
      severity: "error",
      comment: "The checker is a pure function of a recorded history: no gRPC, processes, files or timers.",
      from: { path: "^src/lab/checker/" },
      to: { pathNot: ["^src/lab/checker/", "^src/lab/(history|params)\\.ts$"] },
    },
    {
      name: "sim-has-no-network",
      severity: "error",
      comment: "The simulator runs the production consensus and behaviours in one process: no gRPC, no peer network.",
      from: { path: "^src/sim/" },
      to: { path: ["^src/(api|p2p|ledger|node)", "^src/wire/(?!limits)", "^@grpc/", "^pino", "^prom-client"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/wire/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    moduleSystems: ["cjs", "es6"],
  },
};
