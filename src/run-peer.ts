import "dotenv/config";
import { loadConfig } from "./config";
import { isSnowchainError } from "./errors";
import { createLogger } from "./logger";
import { SnowchainNode } from "./node";
import { packageVersion } from "./package-info";

/**
 * Runs a peer from the environment until SIGTERM or SIGINT, then stops cleanly (exit 0). A bad
 * configuration is one line on stderr naming the variable, and exit code 2.
 */
export async function runPeer(opts: { exitWithParent?: boolean } = {}): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (isSnowchainError(err)) {
      process.stderr.write(`snowchain: bad configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, config.name);
  const node = new SnowchainNode(config, log, packageVersion(), (err) => {
    log.fatal({ err }, "cannot go on");
    void node.stop().finally(() => process.exit(1));
  });
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ signal }, "signal received");
      // A second signal while stopping: the person means it.
      process.once(signal, () => process.exit(1));
      void node.stop().then(resolve, (err: unknown) => {
        log.error({ err }, "unclean stop");
        process.exit(1);
      });
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    if (opts.exitWithParent) {
      // The runner holds the other end of stdin: it closes when the runner exits, however it died.
      process.stdin.once("end", () => onSignal("SIGTERM")).once("error", () => onSignal("SIGTERM"));
      process.stdin.resume();
    }
  });
  try {
    await node.start();
  } catch (err) {
    log.fatal({ err }, "peer failed to start");
    await node.stop().catch(() => {});
    process.exit(1);
  }
  await stopped;
}
