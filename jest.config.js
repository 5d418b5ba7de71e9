/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Stages with their own command and needs: npm run test:dashboards (Prometheus), npm run
  // test:compose and npm run test:swarm (Docker), npm run test:lab and test:lab:compose (lab
  // scenarios: minutes of real peers, Chromium).
  testPathIgnorePatterns: ["/node_modules/", "/test/dashboards/", "/test/compose/", "/test/swarm/", "/test/lab/"],
  // tsc checks types (npm run typecheck); jest only transpiles, which keeps the suite fast.
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  testTimeout: 60000,
};
