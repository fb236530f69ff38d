/**
 * The one error hierarchy of the server. Every class states its HTTP status and
 * its gRPC status code; nothing derives one from the other. The mappers at the
 * bottom of this file are the only place either transport turns an error into
 * a wire answer.
 *
 * @module
 */

/**
 * gRPC status codes used by the server (values from the gRPC specification).
 *
 * @example Each error class states its code
 * ```ts
 * import { GrpcStatus, ModelNotFoundError } from "mlserver";
 * console.assert(new ModelNotFoundError("m").grpcCode === GrpcStatus.NOT_FOUND);
 * ```
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/**
 * A gRPC status code number.
 *
 * @example A code
 * ```ts
 * import { GrpcStatus, type GrpcStatusCode } from "mlserver";
 * const code: GrpcStatusCode = GrpcStatus.INVALID_ARGUMENT;
 * console.assert(code === 3);
 * ```
 */
export type GrpcStatusCode = typeof GrpcStatus[keyof typeof GrpcStatus];

/**
 * Base of every error the server answers deliberately. Runtime code may throw a
 * subclass to choose the status a client sees.
 *
 * @example Throw a server error with a cause
 * ```ts
 * import { ServerError } from "mlserver";
 * const err = new ServerError("Cannot reach the feature store", { cause: new Error("timeout") });
 * console.assert(err.status === 500 && err.name === "ServerError");
 * ```
 */
export class ServerError extends Error {
  /** HTTP status code of this error. */
  readonly status: number = 500;
  /** gRPC status code of this error. */
  readonly grpcCode: GrpcStatusCode = GrpcStatus.INTERNAL;

  /**
   * @param message what went wrong, as the client will read it
   * @param options standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The request is malformed: bad JSON, a schema violation, a shape or datatype
 * mismatch.
 *
 * @example Reject a request
 * ```ts
 * import { InvalidRequestError } from "mlserver";
 * console.assert(new InvalidRequestError("Input 'x': expected 4 elements").status === 400);
 * ```
 */
export class InvalidRequestError extends ServerError {
  override readonly status = 400;
  override readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
}

/**
 * A codec could not decode or encode a tensor.
 *
 * @example Report a codec failure
 * ```ts
 * import { CodecError } from "mlserver";
 * console.assert(new CodecError("Cannot decode input 'when': bad date").status === 400);
 * ```
 */
export class CodecError extends ServerError {
  override readonly status = 400;
  override readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
}

/**
 * Inference failed because of the input; what MLServer runtimes raise.
 *
 * @example Reject an input inside predict()
 * ```ts
 * import { InferenceError } from "mlserver";
 * const err = new InferenceError("Input 'age' must be positive");
 * console.assert(err.status === 400 && err.grpcCode === 3);
 * ```
 */
export class InferenceError extends ServerError {
  override readonly status = 400;
  override readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
}

/**
 * No model (or no such version of it) is registered. The messages are
 * MLServer's, which clients and ModelMesh match on.
 *
 * @example Build the message clients expect
 * ```ts
 * import { ModelNotFoundError } from "mlserver";
 * console.assert(new ModelNotFoundError("iris", "2").message === "Model iris with version 2 not found");
 * ```
 */
export class ModelNotFoundError extends ServerError {
  override readonly status = 404;
  override readonly grpcCode = GrpcStatus.NOT_FOUND;

  /**
   * @param name model name
   * @param version model version, when the request named one
   */
  constructor(name: string, version?: string) {
    super(
      version === undefined || version === ""
        ? `Model ${clip(name)} not found`
        : `Model ${clip(name)} with version ${clip(version)} not found`,
    );
  }
}

/**
 * The model is known but not ready (loading, unloading or failed).
 *
 * @example Build the message clients expect
 * ```ts
 * import { ModelNotReadyError } from "mlserver";
 * console.assert(new ModelNotReadyError("iris").message === "Model iris is not ready yet.");
 * ```
 */
export class ModelNotReadyError extends ServerError {
  override readonly status = 400;
  override readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;

  /**
   * @param name model name
   * @param version model version, when the request named one
   */
  constructor(name: string, version?: string) {
    super(
      version === undefined || version === ""
        ? `Model ${clip(name)} is not ready yet.`
        : `Model ${clip(name)} with version ${clip(version)} is not ready yet.`,
    );
  }
}

/**
 * A model's `parameters.uri` is missing or points nowhere.
 *
 * @example Name the path that was tried
 * ```ts
 * import { InvalidModelUriError } from "mlserver";
 * const err = new InvalidModelUriError("iris", "/models/iris/missing.json");
 * console.assert(err.message === "Invalid URI specified for model iris (/models/iris/missing.json)");
 * ```
 */
export class InvalidModelUriError extends ServerError {
  override readonly status = 422;
  override readonly grpcCode = GrpcStatus.FAILED_PRECONDITION;

  /**
   * @param name model name
   * @param path the resolved path, when there was one
   */
  constructor(name: string, path?: string) {
    super(
      path === undefined
        ? `Invalid URI specified for model ${name}`
        : `Invalid URI specified for model ${name} (${path})`,
    );
  }
}

/**
 * A settings file, environment variable or flag is invalid.
 *
 * @example Name the file and the key
 * ```ts
 * import { InvalidSettingsError } from "mlserver";
 * const err = new InvalidSettingsError("Invalid settings in models/a/model-settings.json: max_batch_size: expected number");
 * console.assert(err.status === 422);
 * ```
 */
export class InvalidSettingsError extends ServerError {
  override readonly status = 422;
  override readonly grpcCode = GrpcStatus.FAILED_PRECONDITION;
}

/**
 * The operation exists in the protocol but this model or server does not
 * implement it (for example streaming on a runtime without `predictStream`).
 *
 * @example
 * ```ts
 * import { UnimplementedError } from "mlserver";
 * console.assert(new UnimplementedError("Model iris does not support streaming").status === 501);
 * ```
 */
export class UnimplementedError extends ServerError {
  override readonly status = 501;
  override readonly grpcCode = GrpcStatus.UNIMPLEMENTED;
}

/**
 * A model implementation could not be found, imported or loaded.
 *
 * @example
 * ```ts
 * import { RuntimeLoadError } from "mlserver";
 * console.assert(new RuntimeLoadError("Cannot import 'models.Foo'").grpcCode === 13);
 * ```
 */
export class RuntimeLoadError extends ServerError {}

/**
 * A worker running a model failed or died.
 *
 * @example
 * ```ts
 * import { WorkerError } from "mlserver";
 * console.assert(new WorkerError("Worker 1 stopped unexpectedly").status === 500);
 * ```
 */
export class WorkerError extends ServerError {}

/**
 * The server cannot take the request now: a queue is full or it is shutting
 * down.
 *
 * @example
 * ```ts
 * import { UnavailableError } from "mlserver";
 * console.assert(new UnavailableError("Model iris is overloaded").status === 503);
 * ```
 */
export class UnavailableError extends ServerError {
  override readonly status = 503;
  override readonly grpcCode = GrpcStatus.UNAVAILABLE;
}

/**
 * The client went away (disconnected, or cancelled its call) before the
 * answer was ready. Nobody reads the answer; the status exists so logs and
 * metrics tell it apart from a failure (499 is nginx's "client closed
 * request").
 *
 * @example
 * ```ts
 * import { CancelledError, GrpcStatus } from "mlserver";
 * const err = new CancelledError("Request cancelled by the client");
 * console.assert(err.status === 499 && err.grpcCode === GrpcStatus.CANCELLED);
 * ```
 */
export class CancelledError extends ServerError {
  override readonly status = 499;
  override readonly grpcCode = GrpcStatus.CANCELLED;
}

/**
 * The request did not finish within `inference_timeout`.
 *
 * @example
 * ```ts
 * import { DeadlineExceededError } from "mlserver";
 * console.assert(new DeadlineExceededError("Inference timed out after 2 s").status === 504);
 * ```
 */
export class DeadlineExceededError extends ServerError {
  override readonly status = 504;
  override readonly grpcCode = GrpcStatus.DEADLINE_EXCEEDED;
}

/**
 * The request body or message is larger than the configured limit.
 *
 * @example
 * ```ts
 * import { RequestTooLargeError } from "mlserver";
 * console.assert(new RequestTooLargeError("Request body exceeds 1024 bytes").status === 413);
 * ```
 */
export class RequestTooLargeError extends ServerError {
  override readonly status = 413;
  override readonly grpcCode = GrpcStatus.RESOURCE_EXHAUSTED;
}

/** HTTP statuses a client may retry: the server may answer differently next time. */
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);
/** gRPC codes a client may retry (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED). */
const TRANSIENT_CODE: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.ABORTED,
]);

/**
 * A call of the inference client failed: the server answered with an error
 * (`status` on REST, `grpcCode` on gRPC), or no answer came (`retryable`:
 * the connection failed or the call timed out).
 *
 * @example Tell a model that is missing from a busy server
 * ```ts
 * import { InferenceClientError } from "mlserver";
 * const missing = new InferenceClientError("Model iris not found", { status: 404 });
 * const busy = new InferenceClientError("Model iris is overloaded", { grpcCode: 14 });
 * console.assert(!missing.retryable && busy.retryable);
 * ```
 */
export class InferenceClientError extends Error {
  /** The HTTP status of the answer (REST), when one came. */
  readonly status: number | undefined;
  /** The gRPC status code of the answer (gRPC), when one came. */
  readonly grpcCode: number | undefined;
  /**
   * Whether the same call may succeed later: no answer came, or a transient
   * one (HTTP 408, 429, 502, 503, 504; gRPC UNAVAILABLE, DEADLINE_EXCEEDED,
   * ABORTED). A 500 or INTERNAL is a runtime's error, not retried.
   */
  readonly retryable: boolean;

  /**
   * @param message the server's message, or what failed
   * @param options the status or code, `retryable` for failures without an answer, `cause`
   */
  constructor(
    message: string,
    options: ErrorOptions & { status?: number; grpcCode?: number; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "InferenceClientError";
    this.status = options.status;
    this.grpcCode = options.grpcCode;
    this.retryable = options.retryable ??
      ((options.status !== undefined && TRANSIENT_STATUS.has(options.status)) ||
        (options.grpcCode !== undefined && TRANSIENT_CODE.has(options.grpcCode)));
  }
}

/**
 * Text from a request (a name, a path, a URL) as an error message repeats
 * it: at most `max` characters, since a URL may carry tens of kilobytes and
 * the answer must stay short.
 */
export function clip(text: string, max = 256): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The HTTP status for any thrown value. */
export function statusOf(err: unknown): number {
  return err instanceof ServerError ? err.status : 500;
}

/** The gRPC status code for any thrown value. */
export function grpcCodeOf(err: unknown): GrpcStatusCode {
  return err instanceof ServerError ? err.grpcCode : GrpcStatus.INTERNAL;
}

/**
 * The client-visible message: the message of a `ServerError`, else
 * `<ErrorName>: <message>` (never a stack trace).
 */
export function messageOf(err: unknown): string {
  if (err instanceof ServerError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return `Error: ${String(err)}`;
}

/** A host as an address names it: an IPv6 host in brackets. */
export function addressHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** A listening address as logs and messages name it: `host:port`. */
export function hostPort(host: string, port: number): string {
  return `${addressHost(host)}:${port}`;
}

/**
 * Why a listener could not bind, as one line naming it and the address. An
 * address in use reads the same from Deno and from grpc-js (EADDRINUSE).
 */
export function listenError(what: string, address: string, err: unknown): Error {
  const inUse = err instanceof Deno.errors.AddrInUse || /EADDRINUSE/.test(messageOf(err));
  const reason = inUse ? "the address is already in use (another server?)" : messageOf(err);
  return new Error(`Cannot listen for ${what} on ${address}: ${reason}`);
}

/** The V2 REST error body, `{"error": "..."}`. */
export function toErrorBody(err: unknown): { error: string } {
  return { error: messageOf(err) };
}

/** The grpc-js status object, `{ code, details }`. */
export function toGrpcStatus(err: unknown): { code: GrpcStatusCode; details: string } {
  return { code: grpcCodeOf(err), details: messageOf(err) };
}

/** Whether a failure is the server's fault and deserves its stack in the log. */
export function isServerFault(err: unknown): boolean {
  const status = statusOf(err);
  // Not faults: a capability the model lacks (501), overload or shutdown
  // (503), a timeout (504). They are answered and counted, not logged as
  // errors, or a traffic spike would flood the log with stacks.
  return status >= 500 && status !== 501 && status !== 503 && status !== 504;
}
