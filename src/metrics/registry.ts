/**
 * The server's metrics: MLServer's names and label sets, the process
 * metrics, Triton's statistics per model, and the sink of runtimes' custom
 * metrics, in one registry that writes the Prometheus text format. Labels are `model_name`/`model_version` wherever a model
 * is involved (MLServer mixes in `model`/`version` for two counters); the
 * version is the model's own, "" when it has none (MLServer writes the
 * string "None" for REST calls without one). `model_infer_request_duration`
 * is a histogram rather than MLServer's count-and-sum summary: the same
 * `_count` and `_sum` series, plus buckets for latency quantiles.
 *
 * @module
 */

import { CustomMetrics } from "./custom.ts";
import { CONTENT_TYPE, MetricRegistry } from "./exposition.ts";
import { CounterFamily, HistogramFamily, type HistogramSeries, SEPARATOR } from "./families.ts";
import type {
  GrpcCallType,
  InferObservation,
  MetricsRecorder,
  ModelKey,
  ModelMeter,
  ModelStatistics,
} from "./recorder.ts";
import { registerProcessMetrics } from "./process.ts";
import { ModelStatisticsAccumulator } from "./statistics.ts";

/** How the metrics are set up. */
export interface PrometheusMetricsOptions {
  /** `metrics_rest_server_prefix`: the prefix of the REST metrics' names. */
  restPrefix?: string;
  /** Record transport metrics (false when `metrics_endpoint` is null). */
  transport?: boolean;
  /** Export process metrics (CPU, memory, event loop lag); default true. */
  processMetrics?: boolean;
}

const APP = "mlserver";
const MODEL_LABELS = ["model_name", "model_version"] as const;
const GRPC_LABELS = ["grpc_type", "grpc_service", "grpc_method"] as const;

/** The series of one model version: what its meter updates on each call. */
class ModelSeries implements ModelMeter {
  readonly stats: ModelStatisticsAccumulator;
  readonly #success: { n: number };
  readonly #failure: { n: number };
  readonly #durations: HistogramFamily;
  readonly #duration: HistogramSeries;

  constructor(
    model: ModelKey,
    families: { success: CounterFamily; failure: CounterFamily; duration: HistogramFamily },
  ) {
    const key = model.name + SEPARATOR + model.version;
    this.#success = families.success.at(key);
    this.#failure = families.failure.at(key);
    this.#durations = families.duration;
    this.#duration = families.duration.at(key);
    this.stats = new ModelStatisticsAccumulator(model);
  }

  inferred(o: InferObservation): void {
    (o.ok ? this.#success : this.#failure).n++;
    this.#durations.record(this.#duration, (o.ended - o.started) / 1000);
    this.stats.add(o);
  }

  encoded(ms: number): void {
    this.stats.encoded(ms);
  }
}

/** The series one gRPC method updates, kept together for one lookup. */
interface GrpcRecord {
  readonly type: GrpcCallType;
  readonly key: string;
  readonly started: { n: number };
  readonly received: { n: number };
  readonly sent: { n: number };
  readonly seconds: HistogramSeries;
  readonly handled: Map<string, { n: number }>;
}

/** HTTP's methods, as `method` labels; any other token a client sends is "OTHER". */
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;

/**
 * A request's method as its label: one of `METHODS`, found with `===`, so
 * the maps below are keyed by constant strings whose hashes V8 keeps (each
 * request's method is a new string, hashed anew by a lookup), and clients
 * inventing methods cannot add series without bound.
 */
function methodLabel(method: string): string {
  for (const known of METHODS) if (known === method) return known;
  return "OTHER";
}

/** MLServer's metrics, Triton's statistics and custom metrics, in one registry. */
export class PrometheusMetrics implements MetricsRecorder {
  /** The registry the exposition is read from. */
  readonly registry: MetricRegistry = new MetricRegistry();
  /** Where runtimes' `register()` and `log()` go. */
  readonly custom: CustomMetrics;
  readonly transport: boolean;
  readonly #models = new Map<string, Map<string, ModelSeries>>();
  readonly #restSeries = new Map<
    string,
    Map<string, Map<number, { total: { n: number }; duration: HistogramSeries }>>
  >();
  readonly #restInProgress = new Map<string, { n: number }>();
  readonly #grpcSeries = new Map<string, Map<string, GrpcRecord>>();
  readonly #rest: {
    total: CounterFamily;
    duration: HistogramFamily;
    inProgress: CounterFamily;
  };
  readonly #grpc: {
    started: CounterFamily;
    handled: CounterFamily;
    seconds: HistogramFamily;
    received: CounterFamily;
    sent: CounterFamily;
  };
  readonly #model: {
    success: CounterFamily;
    failure: CounterFamily;
    duration: HistogramFamily;
    batchQueue: HistogramFamily;
    parallelQueue: HistogramFamily;
  };

  constructor(options: PrometheusMetricsOptions = {}) {
    const registry = this.registry;
    const prefix = options.restPrefix ?? "rest_server";
    this.transport = options.transport ?? true;
    const rest = ["app_name", "method", "path", "status_code"];
    this.#rest = {
      total: new CounterFamily(registry, `${prefix}_requests_total`, "Total number of requests", {
        labels: rest,
      }),
      duration: new HistogramFamily(
        registry,
        `${prefix}_request_duration_seconds`,
        "Request duration, in seconds",
        { labels: rest },
      ),
      inProgress: new CounterFamily(
        registry,
        `${prefix}_requests_in_progress`,
        "Requests being processed",
        { labels: ["app_name", "method"], gauge: true },
      ),
    };
    this.#grpc = {
      started: new CounterFamily(
        registry,
        "grpc_server_started_total",
        "Total number of RPCs started on the server",
        { labels: GRPC_LABELS },
      ),
      handled: new CounterFamily(
        registry,
        "grpc_server_handled_total",
        "Total number of RPCs completed on the server, regardless of success or failure",
        { labels: [...GRPC_LABELS, "grpc_code"] },
      ),
      seconds: new HistogramFamily(
        registry,
        "grpc_server_handling_seconds",
        "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server",
        { labels: GRPC_LABELS },
      ),
      received: new CounterFamily(
        registry,
        "grpc_server_msg_received_total",
        "Total number of RPC messages received on the server",
        { labels: GRPC_LABELS },
      ),
      sent: new CounterFamily(
        registry,
        "grpc_server_msg_sent_total",
        "Total number of RPC messages sent by the server",
        { labels: GRPC_LABELS },
      ),
    };
    this.#model = {
      success: new CounterFamily(
        registry,
        "model_infer_request_success_total",
        "Model infer request success count",
        { labels: MODEL_LABELS },
      ),
      failure: new CounterFamily(
        registry,
        "model_infer_request_failure_total",
        "Model infer request failure count",
        { labels: MODEL_LABELS },
      ),
      duration: new HistogramFamily(
        registry,
        "model_infer_request_duration",
        "Model infer request duration, in seconds",
        { labels: MODEL_LABELS },
      ),
      batchQueue: new HistogramFamily(
        registry,
        "batch_request_queue",
        "Requests in a model's batch queue",
        { labels: MODEL_LABELS },
      ),
      parallelQueue: new HistogramFamily(
        registry,
        "parallel_request_queue",
        "Requests in flight to the parallel workers",
        { labels: [] },
      ),
    };
    if (options.processMetrics !== false) registerProcessMetrics(registry);
    this.custom = new CustomMetrics(registry);
  }

  /** The Prometheus text exposition. */
  scrape(): Promise<string> {
    return Promise.resolve(this.registry.text());
  }

  /** The exposition's content type. */
  get contentType(): string {
    return CONTENT_TYPE;
  }

  restStarted(method: string): void {
    this.#inProgress(methodLabel(method)).n++;
  }

  restFinished(requestMethod: string, path: string, status: number, seconds: number): void {
    const method = methodLabel(requestMethod);
    this.#inProgress(method).n--;
    // Nested maps on the route template (a constant string), the method and
    // the status (a small integer): cheap keys, where one concatenated key
    // would be hashed anew on every request.
    let byMethod = this.#restSeries.get(path);
    if (byMethod === undefined) this.#restSeries.set(path, byMethod = new Map());
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, byStatus = new Map());
    let series = byStatus.get(status);
    if (series === undefined) {
      const key = APP + SEPARATOR + method + SEPARATOR + path + SEPARATOR + status;
      series = { total: this.#rest.total.at(key), duration: this.#rest.duration.at(key) };
      byStatus.set(status, series);
    }
    series.total.n++;
    this.#rest.duration.record(series.duration, seconds);
  }

  grpcStarted(service: string, method: string, type: GrpcCallType): void {
    this.#grpcRecord(service, method, type).started.n++;
  }

  grpcMessage(service: string, method: string, direction: "received" | "sent"): void {
    // Only streams report their messages, so the type is known.
    const record = this.#grpcRecord(service, method, "bidi_stream");
    (direction === "received" ? record.received : record.sent).n++;
  }

  grpcFinished(
    call: { service: string; method: string; type: GrpcCallType },
    code: string,
    seconds: number,
  ): void {
    const record = this.#grpcRecord(call.service, call.method, call.type);
    let handled = record.handled.get(code);
    if (handled === undefined) {
      handled = this.#grpc.handled.at(record.key + SEPARATOR + code);
      record.handled.set(code, handled);
    }
    handled.n++;
    this.#grpc.seconds.record(record.seconds, seconds);
    if (call.type === "unary") {
      // A unary call receives one message and, when it succeeds, sends one.
      record.received.n++;
      if (code === "OK") record.sent.n++;
    }
  }

  #inProgress(method: string): { n: number } {
    let gauge = this.#restInProgress.get(method);
    if (gauge === undefined) {
      gauge = this.#rest.inProgress.at(APP + SEPARATOR + method);
      this.#restInProgress.set(method, gauge);
    }
    return gauge;
  }

  #grpcRecord(service: string, method: string, type: GrpcCallType): GrpcRecord {
    let byMethod = this.#grpcSeries.get(service);
    if (byMethod === undefined) this.#grpcSeries.set(service, byMethod = new Map());
    let record = byMethod.get(method);
    if (record === undefined || record.type !== type) {
      const key = type + SEPARATOR + service + SEPARATOR + method;
      const grpc = this.#grpc;
      record = {
        type,
        key,
        started: grpc.started.at(key),
        received: grpc.received.at(key),
        sent: grpc.sent.at(key),
        seconds: grpc.seconds.at(key),
        handled: new Map(),
      };
      byMethod.set(method, record);
    }
    return record;
  }

  model(model: ModelKey): ModelMeter {
    return this.#series(model.name, model.version);
  }

  batchQueued(model: ModelKey, size: number): void {
    this.#model.batchQueue.observe(model.name + SEPARATOR + model.version, size);
  }

  parallelQueued(size: number): void {
    this.#model.parallelQueue.observe("", size);
  }

  modelAdded(model: ModelKey): void {
    this.#series(model.name, model.version);
    this.#model.batchQueue.at(model.name + SEPARATOR + model.version);
  }

  statistics(models: readonly ModelKey[]): ModelStatistics[] {
    return models.map((m) => this.#series(m.name, m.version).stats.snapshot());
  }

  #series(name: string, version: string): ModelSeries {
    let versions = this.#models.get(name);
    if (versions === undefined) this.#models.set(name, versions = new Map());
    let series = versions.get(version);
    if (series === undefined) {
      series = new ModelSeries({ name, version }, this.#model);
      versions.set(version, series);
    }
    return series;
  }
}
