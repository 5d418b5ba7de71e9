import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { startPeer, type ClusterPeer } from "../utils/cluster";
import { call } from "../utils/grpc/raw";
import { filesContaining, listedServices, type ReflectionVersion } from "../utils/grpc/reflection";
import { freePort } from "../utils/ports";

const HEALTH = "grpc.health.v1.Health";

/** A client of `service` built only from the file descriptors reflection returned (as grpcurl builds one). */
function clientFrom(files: Awaited<ReturnType<typeof filesContaining>>, service: string, addr: string): grpc.Client & Record<string, Function> {
  const def = protoLoader.loadFileDescriptorSetFromObject({ file: files }, { keepCase: true, enums: String, defaults: true });
  const Client = grpc.makeClientConstructor(def[service] as grpc.ServiceDefinition, service);
  return new Client(addr, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
}

/** The services a descriptor set declares, as "package.Service" → its method names. */
function servicesIn(files: Awaited<ReturnType<typeof filesContaining>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of files) for (const s of f.service ?? []) out[`${f.package}.${s.name}`] = (s.method ?? []).map((m) => m.name ?? "");
  return out;
}

describe.each([
  ["without LAB_CONTROL", {}],
  ["with LAB_CONTROL=1", { LAB_CONTROL: "1" }],
])("server reflection of a peer %s, as grpcurl asks it", (_what, env) => {
  let dir: string;
  let peer: ClusterPeer;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "snowchain-reflection-"));
    peer = await startPeer(dir, 0, await freePort(), "", env);
  });

  afterAll(async () => {
    peer?.api.close();
    await peer?.node.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it.each<ReflectionVersion>(["v1", "v1alpha"])("%s lists every service the server has, the health service among them", async (version) => {
    // The Lab service is always registered (it refuses its calls unless LAB_CONTROL=1), so it is always listed.
    expect(await listedServices(version, peer.addr)).toEqual([HEALTH, "snowchain.v1.Client", "snowchain.v1.Lab", "snowchain.v1.MessageManager", "snowchain.v1.PeerManager"]);
  });

  it.each<ReflectionVersion>(["v1", "v1alpha"])("%s returns the health service's file descriptor, so a tool can call it without the .proto", async (version) => {
    const files = await filesContaining(version, peer.addr, HEALTH);
    expect(servicesIn(files)[HEALTH]).toEqual(["Check", "Watch", "List"]);
    // Health's messages resolve too: a tool needs them to encode a Check.
    expect(servicesIn(await filesContaining(version, peer.addr, "grpc.health.v1.HealthCheckRequest"))[HEALTH]).toEqual(["Check", "Watch", "List"]);
    // What grpcurl does next: a client built from those descriptors alone, asking the peer's health.
    const health = clientFrom(files, HEALTH, peer.addr);
    try {
      expect(await call<{ status: string }>((o, cb) => health.Check({ service: "" }, o, cb))).toEqual({ status: "SERVING" });
    } finally {
      health.close();
    }
    // Our own services as before, and an unknown symbol is still an error (the lookups above can fail).
    expect(Object.keys(servicesIn(await filesContaining(version, peer.addr, "snowchain.v1.Client")))).toContain("snowchain.v1.Client");
    await expect(filesContaining(version, peer.addr, "grpc.health.v1.Nothing")).rejects.toThrow(/reflection error 5/);
  });
});
