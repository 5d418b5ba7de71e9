/**
 * `npm run test:lab`: lab scenarios run end to end against real peers (local processes; Compose
 * too when SNOWCHAIN_LAB_COMPOSE=1 and an engine answers), and the report opened in headless
 * Chromium (Debian `chromium`). Its own stage: minutes, not part of `npm test`.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.config"),
  testPathIgnorePatterns: ["/node_modules/"],
  roots: ["<rootDir>/test/lab"],
  // A scenario runs its length, then settles: each test bounds itself.
  testTimeout: 240000,
  // Scenarios are judged on timing: two at once on two cores would starve each other.
  maxWorkers: 1,
};
