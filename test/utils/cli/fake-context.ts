import type { SnowchainApi } from "../../../src/cli/client";
import type { CliContext } from "../../../src/cli/context";
import { runCli } from "../../../src/cli/program";
import { FakeClock } from "./fake-clock";
import { FakeApi } from "./fake-api";

/**
 * A CliContext that records output, serves one FakeApi (or a factory per address), and lets the
 * test fire Ctrl-C.
 */
export class FakeContext implements CliContext {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  env: Record<string, string | undefined> = {};
  readonly clock = new FakeClock();
  readonly timers = this.clock;
  api = new FakeApi();
  /** Addresses connect() was called with. */
  readonly connected: string[] = [];
  connectTo?: (addr: string) => SnowchainApi;
  files = new Map<string, Buffer>();
  stdinData = Buffer.alloc(0);
  dns = new Map<string, string[]>();
  randomValues: number[] = [];
  private interruptHandlers = new Set<() => void>();

  out(line: string): void {
    this.stdout.push(line);
  }
  err(line: string): void {
    this.stderr.push(line);
  }
  connect(addr: string): SnowchainApi {
    this.connected.push(addr);
    return this.connectTo ? this.connectTo(addr) : this.api;
  }
  async readFile(path: string): Promise<Buffer> {
    const f = this.files.get(path);
    if (!f) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
    return f;
  }
  async readStdin(): Promise<Buffer> {
    return this.stdinData;
  }
  async lookupAll(host: string): Promise<string[]> {
    const a = this.dns.get(host);
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return a;
  }
  onInterrupt(handler: () => void): () => void {
    this.interruptHandlers.add(handler);
    return () => this.interruptHandlers.delete(handler);
  }
  /** Ctrl-C. */
  interrupt(): void {
    for (const h of [...this.interruptHandlers]) h();
  }
  get interruptListeners(): number {
    return this.interruptHandlers.size;
  }
  now(): number {
    return this.clock.now();
  }
  random(): number {
    return this.randomValues.shift() ?? 0.5;
  }
}

export interface CliRun {
  code: number;
  stdout: string[];
  stderr: string[];
}

/** Runs `snowchain <args>` against a fake context. */
export async function runWith(ctx: FakeContext, ...args: string[]): Promise<CliRun> {
  const code = await runCli(args, ctx, "0.1.0-test");
  return { code, stdout: ctx.stdout, stderr: ctx.stderr };
}
