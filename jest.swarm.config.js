/**
 * npm run test:swarm: the real image and docker-stack.yml on a real two-node Docker Swarm made by
 * the project's engine script (../shared/docker/engine swarm up2, or SNOWCHAIN_ENGINE). With no
 * engine the suite fails, it never skips. One file, one swarm: run in band.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.config"),
  testPathIgnorePatterns: ["/node_modules/"],
  roots: ["<rootDir>/test/swarm"],
  // Steps wait on tasks with their own deadlines; this is only the outer bound of one step.
  testTimeout: 300000,
  maxWorkers: 1,
};
