/**
 * gRPC test helpers: clients built from our proto/ files with
 * @grpc/proto-loader (protobufjs), independent of the server's own codec.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { repoPath } from "./_helpers.ts";

/** proto-loader options: exact 64-bit integers as strings, unset fields absent. */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

let definition: PackageDefinition | undefined;

/** The package definition of proto/dataplane.proto and proto/model_repository.proto. */
export function packageDefinition(): PackageDefinition {
  return definition ??= loadSync(
    [repoPath("proto/dataplane.proto"), repoPath("proto/model_repository.proto")],
    LOADER_OPTIONS,
  );
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** A client of `inference.GRPCInferenceService` on 127.0.0.1. */
export function inferenceClient(port: number, options: grpc.ClientOptions = {}): grpc.Client & Any {
  const pkg = grpc.loadPackageDefinition(packageDefinition()) as Any;
  return new pkg.inference.GRPCInferenceService(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    options,
  );
}

/** A client of the older `inference.model_repository.ModelRepositoryService`. */
export function legacyRepositoryClient(port: number): grpc.Client & Any {
  const pkg = grpc.loadPackageDefinition(packageDefinition()) as Any;
  return new pkg.inference.model_repository.ModelRepositoryService(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
}

/** What a unary call produced. */
export interface CallResult {
  response?: Any;
  error?: grpc.ServiceError;
  trailer?: grpc.Metadata;
}

/** Calls a unary method and collects the response or error and the trailers. */
export function call(
  client: grpc.Client & Any,
  method: string,
  request: unknown,
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<CallResult> {
  return new Promise((resolve) => {
    const result: CallResult = {};
    let pending = 2;
    const done = () => --pending === 0 && resolve(result);
    const handle = client[method](
      request,
      metadata,
      (error: grpc.ServiceError | null, response: Any) => {
        if (error !== null) result.error = error;
        else result.response = response;
        done();
      },
    );
    handle.on("status", (status: grpc.StatusObject) => {
      result.trailer = status.metadata;
      done();
    });
  });
}

/** Sends raw bytes to a method path (for malformed messages). */
export function callRaw(port: number, path: string, bytes: Uint8Array): Promise<CallResult> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (value: Uint8Array) => Buffer.from(value),
      (value: Buffer) => value,
      bytes,
      (error, response) => {
        client.close();
        resolve(error ? { error } : { response });
      },
    );
  });
}

import { Buffer } from "node:buffer";
export { grpc };
