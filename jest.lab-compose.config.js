/**
 * `npm run test:lab:compose`: a lab scenario on the Compose backend (a Docker engine and the
 * snowchain:local image). Run by .ci/run after the compose stage, which builds the image.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.lab.config"),
  roots: ["<rootDir>/test/lab/compose"],
  testPathIgnorePatterns: ["/node_modules/"],
};
