/**
 * `npm run test:dashboards`: every dashboard query and every Prometheus rule against a real
 * Prometheus (Debian's `prometheus` and `promtool` on PATH) scraping peers. Separate from
 * `npm test` because it needs those binaries and takes tens of seconds.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.config"),
  testPathIgnorePatterns: ["/node_modules/"],
  roots: ["<rootDir>/test/dashboards"],
  // Prometheus start, a few 5 s scrapes and a rule evaluation come before the first query.
  testTimeout: 180000,
};
