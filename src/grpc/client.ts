/**
 * The client's gRPC transport: `inference.GRPCInferenceService` over
 * grpc-js, with identity serializers and our own message code
 * (`client_messages.ts`), so tensors go out and come back without an
 * intermediate object. Loaded only when a client asks for gRPC.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { InferenceClientError, InvalidRequestError } from "../errors.ts";
import type { ClientTransport, InferCall, TransportCall } from "../protocol/transport.ts";
import { messages } from "./stream.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  ModelMetadata,
  RepositoryIndexItem,
  ServerMetadata,
} from "../protocol/types.ts";
import {
  decodeBoolResponse,
  decodeModelInferResponse,
  decodeModelMetadata,
  decodeRepositoryIndex,
  decodeServerMetadata,
  encodeModelInferRequest,
  encodeNameVersion,
  encodeRepositoryIndexRequest,
  encodeRepositoryModelRequest,
} from "./client_messages.ts";

/** How to reach the server. */
export interface GrpcTransportOptions {
  /** TLS (the server's certificate is checked unless `insecure`). */
  ssl: boolean;
  /** With `ssl`: accept any certificate. */
  insecure: boolean;
  /** With `ssl`: PEM certificates of the authorities to trust. */
  caCerts?: readonly string[] | undefined;
}

const SERVICE = "/inference.GRPCInferenceService/";
const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const fromBuffer = (bytes: Buffer): Uint8Array => bytes;

/** A gRPC connection to one server. */
export class GrpcTransport implements ClientTransport {
  readonly #client: grpc.Client;
  readonly #address: string;

  /** @param address `host:port` */
  constructor(address: string, options: GrpcTransportOptions) {
    this.#address = address;
    const credentials = options.ssl
      ? grpc.credentials.createSsl(
        options.caCerts === undefined ? null : Buffer.from(options.caCerts.join("\n")),
        null,
        null,
        options.insecure ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {},
      )
      : grpc.credentials.createInsecure();
    // The server enforces its own limit (grpc_max_message_length): none here.
    this.#client = new grpc.Client(address, credentials, {
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
    });
  }

  async live(call: TransportCall): Promise<boolean> {
    return decoded(decodeBoolResponse, await this.#unary("ServerLive", new Uint8Array(0), call));
  }

  async ready(call: TransportCall): Promise<boolean> {
    return decoded(decodeBoolResponse, await this.#unary("ServerReady", new Uint8Array(0), call));
  }

  async modelReady(name: string, call: TransportCall): Promise<boolean> {
    const body = encodeNameVersion(name, call.version);
    return decoded(decodeBoolResponse, await this.#unary("ModelReady", body, call));
  }

  async serverMetadata(call: TransportCall): Promise<ServerMetadata> {
    return decoded(
      decodeServerMetadata,
      await this.#unary("ServerMetadata", new Uint8Array(0), call),
    );
  }

  async modelMetadata(name: string, call: TransportCall): Promise<ModelMetadata> {
    const body = encodeNameVersion(name, call.version);
    return decoded(decodeModelMetadata, await this.#unary("ModelMetadata", body, call));
  }

  async infer(
    name: string,
    request: InferenceRequest,
    call: InferCall,
  ): Promise<InferenceResponse> {
    const { body } = encodeModelInferRequest(request, {
      name,
      version: call.version,
      raw: call.binary,
    });
    return decoded(decodeModelInferResponse, await this.#unary("ModelInfer", body, call));
  }

  async *inferStream(
    name: string,
    requests: AsyncIterable<InferenceRequest>,
    call: InferCall,
  ): AsyncGenerator<InferenceResponse> {
    const stream = this.#client.makeBidiStreamRequest(
      SERVICE + "ModelStreamInfer",
      toBuffer,
      fromBuffer,
      metadataOf(call.headers),
      {},
    );
    const abort = (): void => stream.cancel();
    call.signal.addEventListener("abort", abort, { once: true });
    // The same event reader as the server side, with the same flow control.
    const incoming = messages(stream);
    const writing = writeAll(stream, name, requests, call).catch((err) => {
      stream.cancel();
      throw err;
    });
    writing.catch(() => {}); // raised below, after the reading side has stopped
    try {
      while (true) {
        const next = await incoming.next();
        if (next.done) break;
        yield decoded(decodeModelInferResponse, next.value);
      }
      await writing;
    } catch (err) {
      await writing; // an encoding error is the real cause of a cancelled call
      throw this.#error(err, call);
    } finally {
      call.signal.removeEventListener("abort", abort);
      stream.cancel();
    }
  }

  async repositoryIndex(ready: boolean, call: TransportCall): Promise<RepositoryIndexItem[]> {
    const body = encodeRepositoryIndexRequest(ready);
    return decoded(decodeRepositoryIndex, await this.#unary("RepositoryIndex", body, call));
  }

  async loadModel(name: string, call: TransportCall): Promise<void> {
    await this.#unary("RepositoryModelLoad", encodeRepositoryModelRequest(name), call);
  }

  async unloadModel(name: string, call: TransportCall): Promise<void> {
    await this.#unary("RepositoryModelUnload", encodeRepositoryModelRequest(name), call);
  }

  close(): void {
    this.#client.close();
  }

  #unary(method: string, body: Uint8Array, call: TransportCall): Promise<Uint8Array> {
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
    const pending = this.#client.makeUnaryRequest(
      SERVICE + method,
      toBuffer,
      fromBuffer,
      body,
      metadataOf(call.headers),
      {},
      (err, response) => {
        call.signal.removeEventListener("abort", abort);
        if (err !== null) reject(this.#error(err, call));
        else resolve(response ?? new Uint8Array(0));
      },
    );
    const abort = (): void => pending.cancel();
    if (call.signal.aborted) pending.cancel();
    else call.signal.addEventListener("abort", abort, { once: true });
    return promise;
  }

  /** A grpc-js error as the client's error; a cancellation of ours as the abort's reason. */
  #error(err: unknown, call: TransportCall): unknown {
    if (call.signal.aborted) return call.signal.reason;
    if (err instanceof InferenceClientError) return err;
    const { code, details } = err as Partial<grpc.ServiceError>;
    if (typeof code !== "number") return err;
    if (
      code === grpc.status.UNAVAILABLE && /No connection|connect|ECONNREFUSED/i.test(details ?? "")
    ) {
      return new InferenceClientError(`Cannot reach ${this.#address}: ${details}`, {
        grpcCode: code,
        retryable: true,
      });
    }
    return new InferenceClientError(details || grpc.status[code] || `gRPC status ${code}`, {
      grpcCode: code,
    });
  }
}

/** Decodes an answer; bytes that do not decode are a malformed response, not a bad request. */
function decoded<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array): T {
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof InvalidRequestError) {
      throw new InferenceClientError(`Malformed response: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** Headers as gRPC metadata (keys lower-case, as HTTP/2 requires). */
function metadataOf(headers: Readonly<Record<string, string>>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) {
    try {
      metadata.set(key.toLowerCase(), value);
    } catch (err) {
      throw new TypeError(
        `Cannot send header '${key}' as gRPC metadata: ${(err as Error).message}`,
      );
    }
  }
  return metadata;
}

/** Writes every request, waiting for the stream to drain when grpc-js asks, then half-closes. */
async function writeAll(
  stream: grpc.ClientDuplexStream<Uint8Array, Uint8Array>,
  name: string,
  requests: AsyncIterable<InferenceRequest>,
  call: InferCall,
): Promise<void> {
  // The first message fixes the answer form for the whole call: keep it.
  let raw: boolean | undefined;
  for await (const request of requests) {
    const encoded = encodeModelInferRequest(request, {
      name,
      version: call.version,
      raw: raw ?? call.binary,
    });
    raw ??= encoded.raw;
    if (!stream.write(encoded.body)) {
      await new Promise<void>((resolve) => stream.once("drain", resolve));
    }
  }
  stream.end();
}
