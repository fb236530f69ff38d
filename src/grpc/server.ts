/**
 * The gRPC server: both inference services, the standard
 * `grpc.health.v1.Health` service (serving status follows readiness) and
 * server reflection, on `host:grpc_port` with `grpc_max_message_length`
 * applied both ways.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import { hostPort, listenError } from "../errors.ts";
import type { Logger } from "../logging.ts";
import { HealthService } from "./health.ts";
import { addReflection } from "./reflection.ts";
import { type GrpcDeps, inferenceService, modelRepositoryService } from "./service.ts";

/** How to start the gRPC server. */
export interface GrpcServerOptions extends GrpcDeps {
  host: string;
  port: number;
  /** Bytes each way; -1 for no limit. */
  maxMessageLength: number;
  /** Milliseconds a connection without a running call stays open. */
  idleTimeoutMs: number;
  logger: Logger;
}

/** Services whose health status follows the server's readiness. */
const HEALTH_SERVICES = ["", "inference.GRPCInferenceService"];

/** A listening gRPC server. */
export class GrpcServer {
  readonly #server: grpc.Server;
  readonly #health: HealthService;
  readonly port: number;

  private constructor(server: grpc.Server, health: HealthService, port: number) {
    this.#server = server;
    this.#health = health;
    this.port = port;
  }

  /** Binds and starts serving. */
  static async start(options: GrpcServerOptions): Promise<GrpcServer> {
    // grpc-js writes its own errors to the console (a bind failure prints a
    // line of its own before ours): route them to our log, as debug lines.
    const log = options.logger.child("grpc");
    const quiet = (...args: unknown[]) => log.debug(args.map(String).join(" "));
    grpc.setLogger({ error: quiet, info: quiet, debug: quiet });
    const limit = options.maxMessageLength;
    const server = new grpc.Server({
      "grpc.max_receive_message_length": limit,
      "grpc.max_send_message_length": limit,
      // Connections with no call running are closed after this long: idle
      // clients, and connections that never sent a request (a session starts
      // at connect, so its idle clock runs from there).
      "grpc.max_connection_idle_ms": options.idleTimeoutMs,
    });
    for (const service of [inferenceService(options), modelRepositoryService(options)]) {
      server.addService(service.definition, service.implementation);
    }
    const health = new HealthService(
      Object.fromEntries(HEALTH_SERVICES.map((name) => [name, "NOT_SERVING" as const])),
    );
    health.addToServer(server);
    // What reflection describes: our protos and the health service's, loaded
    // with reflection itself on its first call (see reflection.ts).
    addReflection(server, async () => {
      const [{ fromJSON, loadSync }, { protoPath }, { PROTO_DESCRIPTOR }] = await Promise.all([
        import("@grpc/proto-loader"),
        import("grpc-health-check"),
        import("./proto_descriptor.ts"),
      ]);
      return {
        ...fromJSON(PROTO_DESCRIPTOR as Parameters<typeof fromJSON>[0], { keepCase: true }),
        ...loadSync(protoPath, { keepCase: true }),
      };
    });
    const address = hostPort(options.host, options.port);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
        if (err === null) resolve(bound);
        else reject(listenError("gRPC", address, err));
      });
    });
    options.logger.info(`gRPC server running on http://${options.host}:${port}`);
    return new GrpcServer(server, health, port);
  }

  /** Sets the health status of the server and the inference service. */
  setServing(serving: boolean): void {
    for (const name of HEALTH_SERVICES) {
      this.#health.setStatus(name, serving ? "SERVING" : "NOT_SERVING");
    }
  }

  /**
   * Stops accepting calls and waits for running ones up to `timeoutMs`, then
   * cancels what is left.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.setServing(false);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceful = new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, timeoutMs);
    });
    await Promise.race([graceful, forced]);
    clearTimeout(timer);
  }
}
