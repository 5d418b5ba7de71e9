/**
 * The lab's hands on one peer, from the outside: its Client service (status, chain, blocks,
 * submits) and its Lab service (link faults, clock skew), over gRPC with the generated wire types.
 */
import * as grpc from "@grpc/grpc-js";
import { GrpcSnowchainApi, createClient, fetchChain, type SnowchainApi } from "../cli/client";
import type { AcceptedBlock__Output } from "../wire/generated/snowchain/v1/AcceptedBlock";
import type { LabClient } from "../wire/generated/snowchain/v1/Lab";
import type { LabState__Output } from "../wire/generated/snowchain/v1/LabState";
import type { LinkFault } from "../wire/generated/snowchain/v1/LinkFault";
import { TOOL_CHANNEL_OPTIONS } from "../wire/channel";
import { v1 } from "../wire/proto";

/** Deadline of a Lab call: a paused peer must not hold the lab up. */
export const LAB_CALL_TIMEOUT_MS = 3000;
/**
 * Attempts of a Lab call that timed out. Each call sets the peer's whole lab state, so a second
 * one is safe; on a busy machine a first call on a fresh channel has missed its 3 s (seen in CI).
 */
const LAB_CALL_ATTEMPTS = 2;

export class PeerControl {
  readonly api: SnowchainApi;
  private readonly lab: LabClient;

  constructor(readonly addr: string) {
    this.api = new GrpcSnowchainApi(createClient(addr));
    this.lab = new v1.Lab(addr, grpc.credentials.createInsecure(), TOOL_CHANNEL_OPTIONS);
  }

  setLinkFaults(faults: LinkFault[]): Promise<LabState__Output> {
    return this.call((cb) => this.lab.SetLinkFaults({ faults }, this.deadline(), cb));
  }

  setClockSkew(skewMs: number): Promise<LabState__Output> {
    return this.call((cb) => this.lab.SetClockSkew({ skew_ms: skewMs }, this.deadline(), cb));
  }

  reset(): Promise<LabState__Output> {
    return this.call((cb) => this.lab.Reset({}, this.deadline(), cb));
  }

  state(): Promise<LabState__Output> {
    return this.call((cb) => this.lab.GetState({}, this.deadline(), cb));
  }

  /** Every accepted block above genesis. */
  async chain(): Promise<AcceptedBlock__Output[]> {
    const blocks: AcceptedBlock__Output[] = [];
    await fetchChain(this.api, 1, undefined, (page) => blocks.push(...page));
    return blocks;
  }

  close(): void {
    this.api.close();
    this.lab.close();
  }

  private deadline(): grpc.CallOptions {
    return { deadline: Date.now() + LAB_CALL_TIMEOUT_MS };
  }

  private async call<T>(start: (cb: grpc.requestCallback<T>) => unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise<T>((resolve, reject) => {
          start((err, res) => (err ? reject(err) : res === undefined ? reject(new Error("empty response")) : resolve(res)));
        });
      } catch (err) {
        if (attempt >= LAB_CALL_ATTEMPTS || (err as grpc.ServiceError).code !== grpc.status.DEADLINE_EXCEEDED) throw err;
      }
    }
  }
}
