/**
 * `npm run bench:machine`: what the machine charges for the things a peer does all the time —
 * waking up, a TCP round trip, a gRPC stream message, a gRPC unary call — each paced (one at a
 * time, at a low rate, the way a lightly loaded peer sees them) and back to back (many in
 * flight, the way a saturated one does). CPU of both ends is counted (process.cpuUsage of this
 * process and of a forked server), so kernel and hypervisor time are in. Prints figures only.
 *
 * Why: on a VM a wake-up from idle can cost far more than the work it wakes for, and then a
 * lightly loaded network's CPU is set by how often its processes wake, not by what they compute
 * (docs/benchmarks.md, "What one wake-up costs").
 */
import { fork, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";

const SECONDS = Number(process.env.MACHINE_BENCH_SECONDS ?? 3);
const PAYLOAD = Buffer.alloc(100, 7);

const identity = { serialize: (b: Buffer): Buffer => b, deserialize: (b: Buffer): Buffer => b };
const SERVICE: grpc.ServiceDefinition = {
  Echo: { path: "/bench.Machine/Echo", requestStream: true, responseStream: true, requestSerialize: identity.serialize, requestDeserialize: identity.deserialize, responseSerialize: identity.serialize, responseDeserialize: identity.deserialize },
  Unary: { path: "/bench.Machine/Unary", requestStream: false, responseStream: false, requestSerialize: identity.serialize, requestDeserialize: identity.deserialize, responseSerialize: identity.serialize, responseDeserialize: identity.deserialize },
};

type Msg = { cmd: "cpu" } | { cpu: number } | { ports: { tcp: number; grpc: number } };

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** The forked end: a TCP echo server and a gRPC echo service on loopback; reports its CPU on request. */
async function serve(): Promise<void> {
  const tcp = net.createServer((s) => s.on("data", (d) => s.write(d)));
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  const server = new grpc.Server();
  server.addService(SERVICE, {
    Echo: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on("data", (m: Buffer) => call.write(m));
      call.on("end", () => call.end());
    },
    Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
  });
  const port = await new Promise<number>((res, rej) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  process.on("message", (m: Msg) => {
    if ("cmd" in m) process.send!({ cpu: cpuNow() } satisfies Msg);
  });
  process.send!({ ports: { tcp: (tcp.address() as net.AddressInfo).port, grpc: port } } satisfies Msg);
  process.on("disconnect", () => process.exit(0));
}

function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once("message", (m: Msg) => resolve("cpu" in m ? m.cpu : 0));
    child.send({ cmd: "cpu" } satisfies Msg);
  });
}

interface Figure {
  readonly name: string;
  readonly count: number;
  readonly clientUs: number;
  readonly serverUs: number;
}

/** Runs `drive` for SECONDS (it returns the number of operations done) and charges both ends' CPU to them. */
async function measure(name: string, child: ChildProcess | undefined, drive: (stopAt: number) => Promise<number>): Promise<Figure> {
  const s0 = child ? await serverCpu(child) : 0;
  const c0 = cpuNow();
  const count = await drive(Date.now() + SECONDS * 1000);
  const c1 = cpuNow();
  const s1 = child ? await serverCpu(child) : 0;
  return { name, count, clientUs: (c1 - c0) / count, serverUs: (s1 - s0) / count };
}

/** Calls `tick` every `periodMs` until stopAt; resolves how many ticks completed (tick resolves when its round trip is done). */
function paced(periodMs: number, stopAt: number, tick: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let done = 0;
    let inFlight = 0;
    const timer = setInterval(() => {
      if (Date.now() >= stopAt) {
        clearInterval(timer);
        const wait = setInterval(() => {
          if (inFlight === 0) {
            clearInterval(wait);
            resolve(done);
          }
        }, 5);
        return;
      }
      inFlight++;
      void tick().then(() => {
        inFlight--;
        done++;
      });
    }, periodMs);
  });
}

/** Keeps `depth` operations in flight until stopAt; resolves how many completed. */
async function flooded(depth: number, stopAt: number, op: () => Promise<void>): Promise<number> {
  let done = 0;
  const lane = async (): Promise<void> => {
    while (Date.now() < stopAt) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: depth }, lane));
  return done;
}

/** An echo channel over a byte or message stream: send() resolves when its echo came back (echoes arrive in order). */
function echoes(write: (b: Buffer) => void, onData: (fn: () => void) => void): () => Promise<void> {
  const waiting: (() => void)[] = [];
  onData(() => waiting.shift()?.());
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      write(PAYLOAD);
    });
}

async function main(): Promise<void> {
  const child = fork(__filename, ["serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ports = await new Promise<{ tcp: number; grpc: number }>((resolve) => child.once("message", (m: Msg) => "ports" in m && resolve(m.ports)));
  const figures: Figure[] = [];

  figures.push(
    await measure("timer tick, 100/s, nothing else to do", undefined, (stopAt) =>
      paced(10, stopAt, () => Promise.resolve()),
    ),
  );

  const socket = net.connect(ports.tcp, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise<void>((r) => socket.once("connect", r));
  // 100-byte echoes: one 'data' event per echo while one is in flight.
  const tcpEcho = echoes((b) => socket.write(b), (fn) => socket.on("data", (d: Buffer) => { for (let i = 0; i < Math.max(1, Math.round(d.length / PAYLOAD.length)); i++) fn(); }));
  figures.push(await measure("TCP round trip, 100/s one at a time", child, (stopAt) => paced(10, stopAt, tcpEcho)));
  figures.push(await measure("TCP round trip, back to back", child, (stopAt) => flooded(1, stopAt, tcpEcho)));
  socket.destroy();

  const Client = grpc.makeGenericClientConstructor(SERVICE, "Machine");
  const client = new Client(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  const stream = client.Echo() as grpc.ClientDuplexStream<Buffer, Buffer>;
  const streamEcho = echoes((b) => stream.write(b), (fn) => stream.on("data", fn));
  await streamEcho();
  figures.push(await measure("gRPC stream message round trip, 100/s one at a time", child, (stopAt) => paced(10, stopAt, streamEcho)));
  figures.push(await measure("gRPC stream message round trip, 64 in flight", child, (stopAt) => flooded(64, stopAt, streamEcho)));
  stream.end();

  const unary = (): Promise<void> =>
    new Promise((resolve, reject) => client.Unary(PAYLOAD, { deadline: Date.now() + 5000 }, (err: Error | null) => (err ? reject(err) : resolve())));
  await unary();
  figures.push(await measure("gRPC unary call, 10/s one at a time", child, (stopAt) => paced(100, stopAt, unary)));
  figures.push(await measure("gRPC unary call, 64 in flight", child, (stopAt) => flooded(64, stopAt, unary)));
  client.close();
  child.disconnect();

  const us = (x: number): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} µs`;
  console.log(`snowchain bench:machine — node ${process.version}, grpc-js ${require("@grpc/grpc-js/package.json").version}, ${SECONDS} s a case, CPU of both ends per operation`);
  for (const f of figures) {
    const total = f.clientUs + f.serverUs;
    const ends = f.serverUs > 0 ? `   (caller ${us(f.clientUs)}, callee ${us(f.serverUs)})` : "";
    console.log(`  ${f.name.padEnd(54)} ${us(total).padStart(9)}${ends}   n=${f.count}`);
  }
}

if (process.argv[2] === "serve") void serve();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
