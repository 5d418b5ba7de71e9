/**
 * npm run test:compose: the real image and docker-compose.yml under a real Docker engine.
 * Needs `docker` and Compose (`docker compose` v2 or docker-compose 1.29) talking to an engine;
 * with no engine the suite fails, it never skips. One file, one replica set: run in band.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.config"),
  testPathIgnorePatterns: ["/node_modules/"],
  roots: ["<rootDir>/test/compose"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  // Steps wait on containers with their own deadlines; this is only the outer bound of one step.
  testTimeout: 300000,
  maxWorkers: 1,
};
