import * as net from "node:net";

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A base port such that base..base+n-1 are free on `host` now: LocalTestnet needs consecutive
 * ports, and tests run in parallel with other users of this machine.
 */
export async function freePortRange(n: number, host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let free = true;
    for (let p = base; p < base + n && free; p++) free = await canListen(p, host);
    if (free) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}
