import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as HEALTH_PROTO_PATH } from "grpc-health-check";
import { findPackageRoot } from "../package-info";
import type { ProtoGrpcType as ClientProto } from "./generated/client";
import type { ProtoGrpcType as MessageProto } from "./generated/message";
import type { ProtoGrpcType as LabProto } from "./generated/lab";
import type { ProtoGrpcType as PeerProto } from "./generated/peer";
import type { ProtoGrpcType as CollusionProto } from "./generated/collusion";

/** proto/ at the package root, whether this runs from src/ or dist/src/. */
export const PROTO_DIR = path.join(findPackageRoot(__dirname), "proto");

export const PROTO_FILES = [
  "snowchain/v1/types.proto",
  "snowchain/v1/peer.proto",
  "snowchain/v1/message.proto",
  "snowchain/v1/client.proto",
  "snowchain/v1/lab.proto",
  "snowchain/v1/collusion.proto",
];

/**
 * The same options the wire types are generated with (package.json "gen"): generating with
 * one set and loading with another leaves fields silently undefined.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export type SnowchainProto = ClientProto & MessageProto & PeerProto & LabProto & CollusionProto;

export const packageDefinition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);

// The one cast at the wire boundary: the generated types describe what this loader returns.
export const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as SnowchainProto;
export const v1 = proto.snowchain.v1;

/** The standard health service every peer serves (grpc-health-check, which ships its .proto). */
export const HEALTH_SERVICE = "grpc.health.v1.Health";

/**
 * Our protos and the health service's, for server reflection: reflection can describe only what
 * it is given, and without health.proto grpcurl answers "Symbol not found" for the health service.
 * Loaded on demand (only a server needs it), with the same options as the services themselves.
 */
export function reflectionPackageDefinition(): protoLoader.PackageDefinition {
  // .../proto/health/v1/health.proto: the include dir is three levels up, so the file keeps its usual name.
  const healthDir = path.resolve(HEALTH_PROTO_PATH, "../../..");
  return protoLoader.loadSync([...PROTO_FILES, path.relative(healthDir, HEALTH_PROTO_PATH)], { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR, healthDir] });
}
