/**
 * `npm run test:lab`: lab scenarios run end to end against real peer processes, the report opened
 * in headless Chromium (Debian `chromium`), Ctrl-C and `lab clean`. Its own stage: minutes, not
 * part of `npm test`.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.config"),
  // The Compose scenario and --net real are stages of their own (npm run test:lab:compose,
  // jest.lab-compose.config.js; npm run test:lab:real, jest.lab-real.config.js).
  testPathIgnorePatterns: ["/node_modules/", "/test/lab/compose/", "/test/lab/net-real\\.test\\.ts$"],
  roots: ["<rootDir>/test/lab"],
  // A scenario runs its length, then settles: each test bounds itself.
  testTimeout: 240000,
  // Scenarios are judged on timing: two at once on two cores would starve each other.
  maxWorkers: 1,
};
