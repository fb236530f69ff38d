/**
 * What a client transport does: the calls of the Open Inference Protocol,
 * each with its headers and an abort signal. `src/rest/client.ts` and
 * `src/grpc/client.ts` implement it; `src/client/client.ts` adds retries,
 * timeouts and default headers on top, the same way for both.
 *
 * @module
 */

import type {
  InferenceRequest,
  InferenceResponse,
  ModelMetadata,
  RepositoryIndexItem,
  ServerMetadata,
} from "./types.ts";

/** One call as the transport sees it. */
export interface TransportCall {
  /** Headers (REST) or metadata (gRPC), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Ends the call: the caller's signal and the timeout in one. */
  readonly signal: AbortSignal;
  /** The model version; the model's default version when absent. */
  readonly version?: string | undefined;
}

/** An inference call. */
export interface InferCall extends TransportCall {
  /**
   * Tensors as bytes: the binary tensor extension on REST (inputs in binary,
   * every output asked for in binary), raw contents on gRPC.
   */
  readonly binary: boolean;
}

/** The calls a transport answers. */
export interface ClientTransport {
  /** `GET /v2/health/live`, `ServerLive`. */
  live(call: TransportCall): Promise<boolean>;
  /** `GET /v2/health/ready`, `ServerReady`. */
  ready(call: TransportCall): Promise<boolean>;
  /** Model readiness; false for a model the server knows but has not loaded. */
  modelReady(name: string, call: TransportCall): Promise<boolean>;
  /** `GET /v2`, `ServerMetadata`. */
  serverMetadata(call: TransportCall): Promise<ServerMetadata>;
  /** A model's metadata. */
  modelMetadata(name: string, call: TransportCall): Promise<ModelMetadata>;
  /** One inference. */
  infer(name: string, request: InferenceRequest, call: InferCall): Promise<InferenceResponse>;
  /**
   * A streamed inference: responses as the model yields them. REST sends one
   * request (server-sent events answer it); gRPC sends them all on one
   * `ModelStreamInfer` call.
   */
  inferStream(
    name: string,
    requests: AsyncIterable<InferenceRequest>,
    call: InferCall,
  ): AsyncIterable<InferenceResponse>;
  /** The repository index: every model, or only the ready ones. */
  repositoryIndex(ready: boolean, call: TransportCall): Promise<RepositoryIndexItem[]>;
  /** Loads (or reloads) a model. */
  loadModel(name: string, call: TransportCall): Promise<void>;
  /** Unloads a model. */
  unloadModel(name: string, call: TransportCall): Promise<void>;
  /** Closes connections. */
  close(): void;
}
