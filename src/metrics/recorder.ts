/**
 * What the transports, the data plane and (later) the batcher and worker
 * pool see of observability: a `MetricsRecorder` to report what happened and
 * a `Tracer` to open spans. They never create metric objects or talk to
 * OpenTelemetry; `server.ts` hands them the real ones (`registry.ts`,
 * `../tracing/otel.ts`) and tests a no-op or a spy.
 *
 * Every observation is plain data (names, numbers, `performance.now()`
 * timestamps), so a future worker can forward what its runtimes report as
 * messages (`{ kind: "metric", ... }`) and the main thread applies them to
 * the one registry: counts from every worker then add up, which a
 * per-process registry cannot do.
 *
 * @module
 */

/** The kinds of gRPC calls, as `grpc_type` labels them. */
export type GrpcCallType = "unary" | "bidi_stream";

/** One inference of a model as the data plane saw it; times are `performance.now()` ms. */
export interface InferObservation {
  readonly ok: boolean;
  /** When the transport received the call (its reading and decoding come before `started`). */
  readonly received: number;
  /** When the data plane started the call. */
  readonly started: number;
  /** When the runtime got the call, after any queue (the concurrency limit, a batch). */
  readonly runtimeStarted: number;
  /** When the model's answer (or failure) arrived. */
  readonly ended: number;
  /** Inferences in the request: its batch size for a batching model, else 1. */
  readonly batchSize: number;
}

/** Count and cumulative nanoseconds, Triton's `StatisticDuration`. */
export interface StatisticDuration {
  count: number;
  ns: number;
}

/** Triton's per-model statistics (the statistics extension). */
export interface ModelStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last inference; 0 for none. */
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: {
    success: StatisticDuration;
    fail: StatisticDuration;
    queue: StatisticDuration;
    compute_input: StatisticDuration;
    compute_infer: StatisticDuration;
    compute_output: StatisticDuration;
    cache_hit: StatisticDuration;
    cache_miss: StatisticDuration;
  };
  batch_stats: {
    batch_size: number;
    compute_input: StatisticDuration;
    compute_infer: StatisticDuration;
    compute_output: StatisticDuration;
  }[];
}

/** A model's labels: its name and version ("" when it has none). */
export interface ModelKey {
  readonly name: string;
  readonly version: string;
}

/** Where observations go. Methods are cheap: they run for every request. */
export interface MetricsRecorder {
  /**
   * Whether transport metrics are recorded (false when `metrics_endpoint`
   * is null): transports skip their clocks when it is false. Model
   * statistics are kept either way.
   */
  readonly transport: boolean;
  /** A REST request arrived. */
  restStarted(method: string): void;
  /** A REST request was answered after `seconds`: `path` is the route template. */
  restFinished(method: string, path: string, status: number, seconds: number): void;
  /** A gRPC call arrived. */
  grpcStarted(service: string, method: string, type: GrpcCallType): void;
  /** A gRPC message was received or sent on a call. */
  grpcMessage(service: string, method: string, direction: "received" | "sent"): void;
  /** A gRPC call ended with `code` (a grpc status name such as `OK`) after `seconds`. */
  grpcFinished(
    call: { service: string; method: string; type: GrpcCallType },
    code: string,
    seconds: number,
  ): void;
  /**
   * The meter of one model version, its series created at zero on first
   * ask. The data plane asks for the answering model's and hands it to the
   * transport with the answer, so the encoding time lands in the model's own
   * series whatever names the answer carries.
   */
  model(model: ModelKey): ModelMeter;
  /** A request joined a model's batch queue, which then held `size` requests. */
  batchQueued(model: ModelKey, size: number): void;
  /** A request was dispatched to a worker with `size` messages in flight. */
  parallelQueued(size: number): void;
  /** A model instance exists: its series start at zero (so dashboards see it). */
  modelAdded(model: ModelKey): void;
  /** Triton statistics of the given models, in that order. */
  statistics(models: readonly ModelKey[]): ModelStatistics[];
}

/** What one model version reports on each call. */
export interface ModelMeter {
  /** One inference finished (or failed). */
  inferred(observation: InferObservation): void;
  /** The transport spent `ms` encoding an inference's answer (see `CallContext.answeredAt`). */
  encoded(ms: number): void;
}

/** Attribute values a span may carry. */
export type SpanAttributes = Record<string, string | number | boolean>;

/** One span: set attributes, mark it failed, end it once. */
export interface TraceSpan {
  set(key: string, value: string | number | boolean): void;
  /** Renames the span (a server span learns its route after it starts). */
  rename(name: string): void;
  /** Marks the span as an error with a message. */
  fail(message: string): void;
  end(): void;
}

/** Opens spans. */
export interface Tracer {
  /**
   * A server span for one REST or gRPC request. A valid W3C `traceparent`
   * (and `tracestate`) makes it a child of the caller's span.
   */
  server(
    name: string,
    carrier: { traceparent?: string | undefined; tracestate?: string | undefined },
    attributes: SpanAttributes,
  ): TraceSpan;
  /** A span inside `parent` (a root span without one). */
  child(parent: TraceSpan | undefined, name: string, attributes: SpanAttributes): TraceSpan;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

const ZERO = (): StatisticDuration => ({ count: 0, ns: 0 });

/** Statistics of a model that has seen no call. */
export function emptyStatistics(model: ModelKey): ModelStatistics {
  return {
    name: model.name,
    version: model.version,
    last_inference: 0,
    inference_count: 0,
    execution_count: 0,
    inference_stats: {
      success: ZERO(),
      fail: ZERO(),
      queue: ZERO(),
      compute_input: ZERO(),
      compute_infer: ZERO(),
      compute_output: ZERO(),
      cache_hit: ZERO(),
      cache_miss: ZERO(),
    },
    batch_stats: [],
  };
}

const NOTHING = (): void => {};

/** A meter that records nothing. */
const NO_METER: ModelMeter = Object.freeze({ inferred: NOTHING, encoded: NOTHING });

/** A recorder that records nothing (tests, library use). */
export const NO_METRICS: MetricsRecorder = Object.freeze({
  transport: false,
  restStarted: NOTHING,
  restFinished: NOTHING,
  grpcStarted: NOTHING,
  grpcMessage: NOTHING,
  grpcFinished: NOTHING,
  model: () => NO_METER,
  batchQueued: NOTHING,
  parallelQueued: NOTHING,
  modelAdded: NOTHING,
  statistics: (models: readonly ModelKey[]) => models.map(emptyStatistics),
});
