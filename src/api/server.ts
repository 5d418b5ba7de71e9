import * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { formatHostPort, type HostPort } from "../wire/host-port";
import type { ClientHandlers } from "../wire/generated/snowchain/v1/Client";
import type { CollusionHandlers } from "../wire/generated/snowchain/v1/Collusion";
import type { LabHandlers } from "../wire/generated/snowchain/v1/Lab";
import type { MessageManagerHandlers } from "../wire/generated/snowchain/v1/MessageManager";
import type { PeerManagerHandlers } from "../wire/generated/snowchain/v1/PeerManager";
import { ErrorCode, SnowchainError } from "../errors";
import { CHANNEL_OPTIONS } from "../wire/channel";
import { HEALTH_SERVICE, reflectionPackageDefinition, v1 } from "../wire/proto";

export interface Services {
  readonly peer: PeerManagerHandlers;
  readonly message: MessageManagerHandlers;
  readonly client: ClientHandlers;
  readonly lab: LabHandlers;
  /** Only a balancing peer with a BYZANTINE_GROUP serves it: honest peers answer UNIMPLEMENTED. */
  readonly collusion?: CollusionHandlers;
}

export const SERVICE_NAMES = ["snowchain.v1.PeerManager", "snowchain.v1.MessageManager", "snowchain.v1.Client", "snowchain.v1.Lab", "snowchain.v1.Collusion"] as const;

/**
 * The gRPC server of a peer: its three services, the standard health service (grpc.health.v1)
 * and server reflection, so grpcurl and grpc-health-probe work against any peer.
 */
export class GrpcServer {
  private readonly server = new grpc.Server({
    ...CHANNEL_OPTIONS,
    // One neighbor cannot open streams without bound.
    "grpc.max_concurrent_streams": 256,
  });
  readonly health = new HealthImplementation({ "": "NOT_SERVING" });
  /** What reflection lists: the services added here, so a tool is shown exactly what it can call. */
  private readonly registered: string[] = [];

  constructor(services: Services) {
    this.add("snowchain.v1.PeerManager", v1.PeerManager.service, services.peer);
    this.add("snowchain.v1.MessageManager", v1.MessageManager.service, services.message);
    this.add("snowchain.v1.Client", v1.Client.service, services.client);
    this.add("snowchain.v1.Lab", v1.Lab.service, services.lab);
    if (services.collusion) this.add("snowchain.v1.Collusion", v1.Collusion.service, services.collusion);
    this.health.addToServer(this.server);
    this.registered.push(HEALTH_SERVICE);
    // Last: it describes what was added above (its own two versions it serves without listing them).
    new ReflectionService(reflectionPackageDefinition(), { services: this.registered }).addToServer(this.server);
  }

  private add(name: (typeof SERVICE_NAMES)[number], definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): void {
    this.server.addService(definition, handlers);
    this.registered.push(name);
  }

  /** Binds and starts; resolves the bound port (the listen port may be 0). */
  listen(addr: HostPort): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(formatHostPort(addr), grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(new SnowchainError(ErrorCode.UNAVAILABLE, `cannot listen on ${formatHostPort(addr)}: ${err.message}`));
        else resolve(port);
      });
    });
  }

  setServing(serving: boolean): void {
    const s = serving ? "SERVING" : "NOT_SERVING";
    this.health.setStatus("", s);
    for (const name of this.registered) if (name !== HEALTH_SERVICE) this.health.setStatus(name, s);
  }

  /** Stops taking calls; calls in flight get `graceMs` to finish, then are cancelled. */
  stop(graceMs: number): Promise<void> {
    this.setServing(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
