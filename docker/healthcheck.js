// The image's HEALTHCHECK: exit 0 when the peer's /readyz answers 200 on METRICS_PORT, 1 otherwise.
// Plain node, no dependencies: the slim base image has no curl or wget.
"use strict";
const http = require("node:http");

const port = Number(process.env.METRICS_PORT || 9100);
const req = http.get({ host: "127.0.0.1", port, path: "/readyz", timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("timed out")));
req.on("error", (err) => {
  console.error(`readyz on port ${port}: ${err.message}`);
  process.exit(1);
});
