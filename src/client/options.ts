/**
 * The options of `InferenceClient`: how it connects and behaves, and what
 * one call may change.
 *
 * @module
 */

import type { InferenceClientError } from "../errors.ts";

/** A retry about to happen. */
export interface RetryInfo {
  /** The failed attempt, from 1. */
  attempt: number;
  /** Why it failed. */
  error: InferenceClientError;
  /** Milliseconds before the next attempt. */
  delay: number;
}

/** How a client connects and behaves; every field but `url` is optional. */
export interface InferenceClientOptions {
  /**
   * `http://host:port`, `https://host:port` (REST), `grpc://host:port`,
   * `grpcs://host:port` (gRPC with TLS), or `host:port` with `transport`.
   */
  url: string;
  /** For a `host:port` url: `"rest"` (default) or `"grpc"`. */
  transport?: "rest" | "grpc" | undefined;
  /** With a `host:port` url: use TLS. */
  ssl?: boolean | undefined;
  /** gRPC over TLS: accept any certificate (Deno's fetch always checks them). */
  insecure?: boolean | undefined;
  /** PEM certificates of authorities to trust, for a server with its own CA. */
  caCerts?: readonly string[] | undefined;
  /** Headers (REST) or metadata (gRPC) sent with every call. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Milliseconds each attempt of a call may take; default 60,000; 0 for no limit. */
  timeout?: number | undefined;
  /** Attempts after the first, for failures that may pass (see `InferenceClientError.retryable`); default 0. */
  retries?: number | undefined;
  /** Milliseconds before the first retry, doubled for each next one (at most 30 s), with jitter; default 100. */
  retryDelay?: number | undefined;
  /** Told of every retry before its wait. */
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

/** Options of one call. */
export interface CallOptions {
  /** Headers for this call, over the client's. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Ends the call (and its retries). */
  signal?: AbortSignal | undefined;
  /** Milliseconds for each attempt of this call. */
  timeout?: number | undefined;
  /** The model version; else the model's default version. */
  version?: string | undefined;
  /** Retries for this call. */
  retries?: number | undefined;
}

/** Options of an inference call. */
export interface InferOptions extends CallOptions {
  /** Tensors as bytes: REST's binary tensor extension (outputs too), gRPC raw contents. */
  binary?: boolean | undefined;
}
