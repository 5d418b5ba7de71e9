#!/usr/bin/env node
// A stand-in for `snowchain peer`, spawned by the LocalTestnet tests as `node fake-peer.js peer`.
// It serves snowchain.v1.Client/Status from its environment and records what it was started with,
// so the harness can be tested without the real peer. Plain JS: it runs without a TS build.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");

const env = process.env;
if (process.argv[2] !== "peer") {
  process.stderr.write(`fake-peer: expected the "peer" command, got ${JSON.stringify(process.argv.slice(2))}\n`);
  process.exit(64);
}
if (env.FAKE_PEER_FAIL) {
  process.stderr.write(`fake-peer: ${env.FAKE_PEER_FAIL}\n`);
  process.exit(3);
}

const dataDir = env.DATA_DIR;
fs.mkdirSync(dataDir, { recursive: true });
const startsFile = path.join(dataDir, "starts");
const starts = (fs.existsSync(startsFile) ? Number(fs.readFileSync(startsFile, "utf8")) : 0) + 1;
fs.writeFileSync(startsFile, String(starts));
let stdin = "?";
try {
  stdin = fs.readlinkSync("/proc/self/fd/0");
} catch {
  stdin = "unknown";
}
const picked = {};
for (const k of ["NODE_ID", "LISTEN_ADDR", "ADVERTISE_ADDR", "SEEDS", "METRICS_PORT", "DATA_DIR", "LOG_LEVEL", "SNOWBALL_BETA"]) {
  picked[k] = env[k];
}
fs.writeFileSync(path.join(dataDir, "started-with.json"), JSON.stringify({ env: picked, cwd: process.cwd(), stdin, pid: process.pid }));

const protoDir = path.resolve(__dirname, "../../../proto");
const def = loader.loadSync(["snowchain/v1/types.proto", "snowchain/v1/client.proto"], {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
});
const v1 = grpc.loadPackageDefinition(def).snowchain.v1;
const unimplemented = (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: "fake peer" });
const server = new grpc.Server();
server.addService(v1.Client.service, {
  Status: (_call, cb) =>
    cb(null, { node_id: env.NODE_ID, address: env.ADVERTISE_ADDR, version: "fake", height: starts, preferred_height: starts + 1 }),
  Submit: unimplemented,
  GetEntry: unimplemented,
  GetBlock: unimplemented,
  GetChain: unimplemented,
  WatchBlocks: (call) => call.destroy(Object.assign(new Error("fake peer"), { code: grpc.status.UNIMPLEMENTED })),
});
server.bindAsync(env.LISTEN_ADDR, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`fake-peer: cannot listen on ${env.LISTEN_ADDR}: ${err.message}\n`);
    process.exit(4);
  }
  process.stdout.write(`fake-peer ${env.NODE_ID} listening on ${env.LISTEN_ADDR} (start ${starts})\n`);
});

function stop(signal) {
  process.stdout.write(`fake-peer ${env.NODE_ID} got ${signal}\n`);
  if (env.FAKE_PEER_IGNORE_SIGTERM) return;
  server.tryShutdown(() => process.exit(0));
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
