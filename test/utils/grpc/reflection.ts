import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { FileDescriptorProto, type IFileDescriptorProto } from "protobufjs/ext/descriptor";

/** The two versions of server reflection grpcurl and other tools speak. */
export type ReflectionVersion = "v1" | "v1alpha";

interface ReflectionResponse {
  readonly message_response: "list_services_response" | "file_descriptor_response" | "error_response";
  readonly list_services_response?: { readonly service: readonly { readonly name: string }[] };
  readonly file_descriptor_response?: { readonly file_descriptor_proto: readonly Buffer[] };
  readonly error_response?: { readonly error_code: number; readonly error_message: string };
}

type ReflectionStream = grpc.ClientDuplexStream<Record<string, string>, ReflectionResponse>;
type ReflectionStub = grpc.Client & { ServerReflectionInfo(): ReflectionStream };

/** The reflection protos as @grpc/reflection ships them: what a tool without our .proto files starts from. */
const REFLECTION_PROTO_DIR = path.join(path.dirname(require.resolve("@grpc/reflection/package.json")), "build", "proto");

function stub(version: ReflectionVersion, addr: string): ReflectionStub {
  const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [REFLECTION_PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: Record<ReflectionVersion, { ServerReflection: new (addr: string, creds: grpc.ChannelCredentials) => ReflectionStub }> } };
  return new pkg.grpc.reflection[version].ServerReflection(addr, grpc.credentials.createInsecure());
}

/** One request on a raw ServerReflectionInfo stream, and its one answer. */
async function ask(version: ReflectionVersion, addr: string, request: Record<string, string>, timeoutMs = 10_000): Promise<ReflectionResponse> {
  const client = stub(version, addr);
  try {
    const stream = client.ServerReflectionInfo();
    const answer = new Promise<ReflectionResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reflection answer within ${timeoutMs} ms`)), timeoutMs);
      stream.once("data", (r: ReflectionResponse) => {
        clearTimeout(timer);
        resolve(r);
      });
      stream.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    stream.write(request);
    const r = await answer;
    stream.end();
    return r;
  } finally {
    client.close();
  }
}

/** The services a server's reflection lists (list_services), sorted. */
export async function listedServices(version: ReflectionVersion, addr: string): Promise<string[]> {
  const r = await ask(version, addr, { list_services: "" });
  if (!r.list_services_response) throw new Error(`list_services answered ${JSON.stringify(r)}`);
  return r.list_services_response.service.map((s) => s.name).sort();
}

/** The decoded file descriptors reflection returns for a symbol; throws with the server's error message. */
export async function filesContaining(version: ReflectionVersion, addr: string, symbol: string): Promise<IFileDescriptorProto[]> {
  const r = await ask(version, addr, { file_containing_symbol: symbol });
  if (r.error_response) throw new Error(`reflection error ${r.error_response.error_code}: ${r.error_response.error_message}`);
  return (r.file_descriptor_response?.file_descriptor_proto ?? []).map((b) => FileDescriptorProto.decode(b) as IFileDescriptorProto);
}
