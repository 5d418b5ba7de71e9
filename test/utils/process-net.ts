import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fetchChain, GrpcSnowchainApi, type SnowchainApi } from "../../src/cli/client";
import type { AcceptedBlock__Output } from "../../src/wire/generated/snowchain/v1/AcceptedBlock";
import { LocalTestnet } from "../../src/testnet/local-testnet";

/** A LocalTestnet of real peer processes in a temp dir on random ports, with client helpers. */
export class ProcessNet {
  private readonly apis = new Map<number, SnowchainApi>();

  private constructor(
    readonly net: LocalTestnet,
    readonly dir: string,
  ) {}

  static async start(peers: number, env: Record<string, string> = {}, envOf?: (i: number) => Record<string, string>): Promise<ProcessNet> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-proc-"));
    // Below the ephemeral range (32768+: outgoing connections take those), and a separate
    // block per jest worker so process test files running side by side never collide.
    const worker = Number(process.env.JEST_WORKER_ID ?? "1");
    const base = 10000 + worker * 1000 + Math.floor(Math.random() * 700);
    const net = new LocalTestnet({
      peers,
      baseDir: dir,
      basePort: base,
      baseMetricsPort: base + 200,
      env: { HEARTBEAT_MS: "300", LOG_LEVEL: "info", ...env },
      envOf,
    });
    await net.start();
    return new ProcessNet(net, dir);
  }

  api(i: number): SnowchainApi {
    let a = this.apis.get(i);
    if (!a) this.apis.set(i, (a = new GrpcSnowchainApi(this.net.client(i))));
    return a;
  }

  async height(i: number): Promise<number> {
    return Number((await this.api(i).status(2000)).height);
  }

  async chain(i: number, to?: number): Promise<AcceptedBlock__Output[]> {
    const blocks: AcceptedBlock__Output[] = [];
    await fetchChain(this.api(i), 1, to, (page) => blocks.push(...page));
    return blocks;
  }

  async chainIds(i: number, to: number): Promise<string[]> {
    return (await this.chain(i, to)).map((b) => b.id.toString("hex"));
  }

  /** Submits and waits for acceptance; returns the height. */
  async submitAccepted(i: number, text: string): Promise<number> {
    const res = await this.api(i).submit(Buffer.from(text), { waitForAcceptance: true, timeoutMs: 60_000 });
    if (!res.accepted) throw new Error(`entry ${text} not accepted`);
    return Number(res.height);
  }

  async stop(): Promise<void> {
    await this.net.stop().catch(() => {});
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
