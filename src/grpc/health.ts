/**
 * The standard `grpc.health.v1.Health` service (Check, Watch, List), on the
 * wire directly. `grpc-health-check` builds the same service from its
 * .proto with protobufjs when it is imported, and that import (with
 * reflection's) was about 90 ms of every start; kubelet's gRPC probe asks
 * this service from the first second, so it cannot wait for a lazy load.
 * Three messages of one field each are all it needs.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import type { Buffer } from "node:buffer";
import { asBuffer, rawMethod } from "./call.ts";
import { ProtoEncoder, ProtoReader, WIRE } from "./wire.ts";

/** `HealthCheckResponse.ServingStatus`. */
export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

const STATUS_NUMBER: Record<ServingStatus, number> = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
};

const HEALTH = "grpc.health.v1.Health";
const UNARY = { request: false, response: false };

/** `HealthCheckResponse { status = 1 }`. */
function statusMessage(status: ServingStatus): ProtoEncoder {
  const message = new ProtoEncoder();
  const value = STATUS_NUMBER[status];
  return value === 0 ? message : message.tag(1, WIRE.VARINT).uint32(value);
}

const bytesOf = (message: ProtoEncoder): Buffer => asBuffer(message.finish());

/** The four possible answers, encoded once (kubelet asks every few seconds). */
const ANSWER = Object.fromEntries(
  Object.keys(STATUS_NUMBER).map((status) => [
    status,
    bytesOf(statusMessage(status as ServingStatus)),
  ]),
) as Record<ServingStatus, Buffer>;

/** `HealthCheckRequest.service`; undefined when the message is not one. */
function serviceOf(request: Buffer): string | undefined {
  try {
    const reader = new ProtoReader(request);
    let service = "";
    while (!reader.done) {
      const tag = reader.tag();
      if (tag >>> 3 === 1) service = reader.string("service");
      else reader.skip(tag & 7);
    }
    return service;
  } catch {
    return undefined;
  }
}

/** Serving statuses by service name, and the Health service that reports them. */
export class HealthService {
  readonly #statuses: Map<string, ServingStatus>;
  readonly #watchers = new Map<string, Set<grpc.ServerWritableStream<Buffer, Buffer>>>();

  constructor(statuses: Record<string, ServingStatus>) {
    this.#statuses = new Map(Object.entries(statuses));
  }

  /** Sets a service's status; watchers of it hear of a change. */
  setStatus(service: string, status: ServingStatus): void {
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    for (const watcher of this.#watchers.get(service) ?? []) {
      watcher.write(ANSWER[status]);
    }
  }

  /** Adds the service to a gRPC server. */
  addToServer(server: Pick<grpc.Server, "addService">): void {
    server.addService({
      Check: rawMethod(HEALTH, "Check", UNARY),
      Watch: rawMethod(HEALTH, "Watch", { request: false, response: true }),
      List: rawMethod(HEALTH, "List", UNARY),
    }, {
      Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const service = serviceOf(call.request);
        const status = service === undefined ? undefined : this.#statuses.get(service);
        if (service === undefined) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: "Malformed HealthCheckRequest" });
        } else if (status === undefined) {
          callback({
            code: grpc.status.NOT_FOUND,
            details: `Health status unknown for service ${service}`,
          });
        } else callback(null, ANSWER[status]);
      },
      Watch: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const service = serviceOf(call.request);
        if (service === undefined) {
          call.emit("error", {
            code: grpc.status.INVALID_ARGUMENT,
            details: "Malformed HealthCheckRequest",
          });
          return;
        }
        let watchers = this.#watchers.get(service);
        if (watchers === undefined) this.#watchers.set(service, watchers = new Set());
        watchers.add(call);
        call.on("cancelled", () => watchers.delete(call));
        call.write(ANSWER[this.#statuses.get(service) ?? "SERVICE_UNKNOWN"]);
      },
      List: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        // HealthListResponse { map<string, HealthCheckResponse> statuses = 1 }
        const response = new ProtoEncoder();
        for (const [service, status] of this.#statuses) {
          const entry = new ProtoEncoder().string(1, service).message(2, statusMessage(status));
          response.message(1, entry);
        }
        callback(null, bytesOf(response));
      },
    });
  }
}
