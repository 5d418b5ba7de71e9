/**
 * `npm run test:lab:real`: `--net real` on the local backend (root and `ip netns`: each peer in a
 * network namespace, partitions as iptables drops). Skipped, saying why, where it cannot run.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.lab.config"),
  testPathIgnorePatterns: ["/node_modules/"],
  testMatch: ["**/test/lab/net-real.test.ts"],
};
