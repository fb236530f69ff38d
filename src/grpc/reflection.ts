/**
 * gRPC server reflection (v1 and v1alpha), loaded on its first call.
 *
 * `@grpc/reflection` and the protobufjs it needs cost every start about
 * 60 ms to import and 60 ms more to index the served protos, for a service
 * only tools such as grpcurl call. So the reflection services are
 * registered at start with raw-bytes methods, and the first call imports
 * the package, indexes the protos and hands each call to its handler through
 * `decoding()`. A failure to load ends that call with UNAVAILABLE (the next
 * call tries again); it never fails the server.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import type { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { messageOf } from "../errors.ts";
import { rawMethod } from "./call.ts";

type StreamHandler = (call: grpc.ServerDuplexStream<unknown, unknown>) => void;

/** One reflection method as `@grpc/reflection` registers it. */
interface Loaded {
  definition: grpc.MethodDefinition<unknown, unknown>;
  handler: StreamHandler;
}

const VERSIONS = ["v1", "v1alpha"];
const METHOD = "ServerReflectionInfo";

/**
 * Registers reflection on `server`; `definitions` (what reflection
 * describes) is called on the first reflection call.
 */
export function addReflection(
  server: Pick<grpc.Server, "addService">,
  definitions: () => Promise<PackageDefinition>,
): void {
  let loading: Promise<Map<string, Loaded>> | undefined;
  const loaded = () =>
    loading ??= load(definitions).catch((err) => {
      loading = undefined;
      throw err;
    });
  for (const version of VERSIONS) {
    const definition = rawMethod(`grpc.reflection.${version}.ServerReflection`, METHOD, {
      request: true,
      response: true,
    });
    const path = definition.path;
    server.addService({ [METHOD]: definition }, {
      [METHOD]: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        loaded().then((methods) => {
          const method = methods.get(path)!;
          method.handler(decoding(call, method.definition));
        }, (err) => {
          const details = `Server reflection is unavailable: ${messageOf(err)}`;
          call.emit("error", { code: grpc.status.UNAVAILABLE, details });
        });
      },
    });
  }
}

/** Imports `@grpc/reflection`, indexes the definitions, and takes its methods. */
async function load(definitions: () => Promise<PackageDefinition>): Promise<Map<string, Loaded>> {
  const { ReflectionService } = await import("@grpc/reflection");
  const service = new ReflectionService(await definitions());
  const methods = new Map<string, Loaded>();
  service.addToServer({
    addService(definition, implementation) {
      for (const [name, method] of Object.entries(definition)) {
        methods.set(method.path, {
          definition: method as grpc.MethodDefinition<unknown, unknown>,
          handler: implementation[name] as StreamHandler,
        });
      }
    },
  });
  return methods;
}

/**
 * A raw-bytes call as reflection's handler sees a call of its own service:
 * requests decoded, answers encoded, with the four members that handler uses
 * (`on("data")`, `on("end")`, `write`, `end`).
 */
function decoding(
  call: grpc.ServerDuplexStream<Buffer, Buffer>,
  definition: grpc.MethodDefinition<unknown, unknown>,
): grpc.ServerDuplexStream<unknown, unknown> {
  const stream = Object.assign(new EventEmitter(), {
    write: (message: unknown) => call.write(definition.responseSerialize(message)),
    end: () => call.end(),
  });
  call.on("data", (bytes: Buffer) => {
    let message: unknown;
    try {
      message = definition.requestDeserialize(bytes);
    } catch {
      call.emit("error", {
        code: grpc.status.INVALID_ARGUMENT,
        details: "Malformed ServerReflectionRequest",
      });
      return;
    }
    stream.emit("data", message);
  });
  call.on("end", () => stream.emit("end"));
  return stream as unknown as grpc.ServerDuplexStream<unknown, unknown>;
}
