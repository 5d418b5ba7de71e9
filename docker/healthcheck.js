// The container healthcheck: exit 0 when GET PATH (default /healthz) answers 200 on METRICS_PORT,
// 1 otherwise. The image asks /healthz (liveness): Swarm enters a task in DNS only once it is
// healthy, and a peer becomes ready only after it found the others through DNS, so a readiness
// healthcheck would keep every task out of DNS for ever. docker-compose.yml asks /readyz instead
// (`node /app/docker/healthcheck.js /readyz`): Compose's DNS does not wait for health there.
// Plain node, no dependencies: the slim base image has no curl or wget.
"use strict";
const http = require("node:http");

const path = process.argv[2] || "/healthz";
const port = Number(process.env.METRICS_PORT || 9100);
const req = http.get({ host: "127.0.0.1", port, path, timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("timed out")));
req.on("error", (err) => {
  console.error(`${path} on port ${port}: ${err.message}`);
  process.exit(1);
});
