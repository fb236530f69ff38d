/**
 * The data plane both transports call: health, metadata and inference.
 * Transports only translate; every rule of the protocol lives here or below.
 * Each inference runs under one call context (see `call.ts`): this is where
 * the request id is assigned, the transport's headers are attached, the
 * client's signal and `inference_timeout` become one signal, and metrics,
 * statistics and the model span attach, once for both transports.
 *
 * @module
 */

import type { Logger } from "../logging.ts";
import { messageOf, ModelNotFoundError } from "../errors.ts";
import {
  type MetricsRecorder,
  type ModelKey,
  type ModelMeter,
  type ModelStatistics,
  NO_METRICS,
  type Tracer,
  type TraceSpan,
} from "../metrics/recorder.ts";
import { withLazyHeaders } from "../protocol/parameters.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  ModelMetadata,
  ServerMetadata,
} from "../protocol/types.ts";
import type { ModelRegistry } from "../registry/model_registry.ts";
import type { Model } from "../runtime/model.ts";
import type { ServerSettings } from "../settings/server_settings.ts";
import { type CallContext, CallScope, RunningCalls } from "./call.ts";
import type { Readiness } from "./readiness.ts";

/** What the data plane is built from. */
export interface DataPlaneOptions {
  settings: Pick<
    ServerSettings,
    "server_name" | "server_version" | "extensions" | "inference_timeout"
  >;
  registry: ModelRegistry;
  readiness: Pick<Readiness, "ready">;
  /** Aborted when the server shuts down: calls still running end with its reason (503). */
  stopping?: AbortSignal;
  logger: Logger;
  /** Protocol extensions this server implements, advertised in metadata. */
  extensions?: readonly string[];
  /** Where inferences are reported; default nowhere. */
  metrics?: MetricsRecorder;
  /** Opens each model call's span when tracing is on. */
  tracer?: Tracer | undefined;
}

/** The data plane as transports see it (tests hand them a fake of this shape). */
export type DataPlaneApi = Pick<DataPlane, keyof DataPlane>;

/** Health, metadata and inference, independent of the transport. */
export class DataPlane {
  readonly #options: DataPlaneOptions;
  readonly #metadata: ServerMetadata;
  readonly #metrics: MetricsRecorder;
  readonly #tracer: Tracer | undefined;
  readonly #running: RunningCalls;

  constructor(options: DataPlaneOptions) {
    this.#options = options;
    this.#running = new RunningCalls(options.stopping);
    this.#metrics = options.metrics ?? NO_METRICS;
    this.#tracer = options.tracer;
    const extensions = [...options.settings.extensions];
    for (const name of options.extensions ?? []) {
      if (!extensions.includes(name)) extensions.push(name);
    }
    this.#metadata = Object.freeze({
      name: options.settings.server_name,
      version: options.settings.server_version,
      extensions,
    });
  }

  /** Always true while the process runs. */
  live(): boolean {
    return true;
  }

  /** Whether the server is ready (see `Readiness`). */
  ready(): boolean {
    return this.#options.readiness.ready;
  }

  /** Server name, version and extensions. */
  metadata(): ServerMetadata {
    return this.#metadata;
  }

  /**
   * Whether a model is ready.
   *
   * @throws {ModelNotFoundError} when the name or version is unknown
   */
  modelReady(name: string, version?: string): boolean {
    return this.#options.registry.isReady(name, version);
  }

  /** A model's metadata. */
  async modelMetadata(name: string, version?: string): Promise<ModelMetadata> {
    const metadata = await this.#options.registry.get(name, version).metadata();
    return metadata.name === "" ? { ...metadata, name } : metadata;
  }

  /**
   * Runs one inference. The answer carries the request's id (a fresh UUID
   * when the request has none) and the model name as the client sent it.
   *
   * @throws {DeadlineExceededError} when `inference_timeout` passes first
   * @throws {CancelledError} when the client's signal aborts first
   */
  async infer(request: InferenceRequest, call: CallContext): Promise<InferenceResponse> {
    // One async function with try/finally rather than a chain of closures:
    // this runs for every request, and its garbage is what GC pauses cost.
    const handle = this.#options.registry.acquire(call.name, call.version);
    const model = handle.model;
    const started = performance.now();
    prepare(request, call);
    const span = this.#tracer === undefined ? undefined : this.#modelSpan(call, model, request.id);
    const context = new CallScope(
      call.cancellation,
      this.#options.settings.inference_timeout,
      model.name,
      this.#running,
    );
    let running: Promise<InferenceResponse>;
    try {
      running = Promise.resolve(model.predict(request, context));
    } catch (err) {
      running = Promise.reject(err);
    }
    let ok = false;
    try {
      // The instance stays in use until the prediction really ends, so an
      // unload never pulls the model out from under a call whose client was
      // already answered (timed out, or gone).
      const answer = await context.race(running, handle.release);
      const response = finish(answer, request, call.name, model);
      ok = true;
      return response;
    } catch (err) {
      span?.fail(messageOf(err));
      throw err;
    } finally {
      context.clear();
      const ended = performance.now();
      const meter = this.#meterOf(model);
      call.answeredAt = ended;
      call.meter = meter;
      meter.inferred({
        ok,
        received: call.receivedAt ?? started,
        started,
        runtimeStarted: context.dequeuedAt ?? started,
        ended,
        batchSize: batchSizeOf(request, model),
      });
      span?.end();
    }
  }

  /**
   * Triton's statistics of the ready models: all of them, those named
   * `name`, or one version.
   *
   * @throws {ModelNotFoundError} when a name or version is given and not registered
   */
  modelStatistics(name?: string, version?: string): ModelStatistics[] {
    const ready = this.#options.registry.statuses().filter((s) =>
      s.state === "READY" &&
      (name === undefined || name === "" || s.name === name) &&
      (version === undefined || version === "" || s.version === version)
    );
    if (ready.length === 0 && name !== undefined && name !== "") {
      // Unknown (or not ready) names and versions answer as the other model endpoints do.
      this.#options.registry.get(name, version === "" ? undefined : version);
      throw new ModelNotFoundError(name, version);
    }
    const keys: ModelKey[] = ready.map((s) => ({ name: s.name, version: s.version }));
    return this.#metrics.statistics(keys);
  }

  /** The model's own series (not those of the names its answer may carry). */
  #meterOf(model: Model): ModelMeter {
    return this.#metrics.model({ name: model.name, version: model.version ?? "" });
  }

  #modelSpan(call: CallContext, model: Model, id: string | undefined): TraceSpan {
    const attributes: Record<string, string> = {
      "model.name": model.name,
      "model.version": model.version ?? "",
    };
    if (id !== undefined) attributes["inference.request_id"] = id;
    return this.#tracer!.child(call.span, `infer ${model.name}`, attributes);
  }

  /**
   * Streams inferences: the model's `predictStream` gets the requests and
   * yields any number of responses. Every request and response carries the
   * first request's id (assigned when it has none).
   *
   * @throws {UnimplementedError} when the model cannot stream
   */
  async *inferStream(
    requests: AsyncIterable<InferenceRequest>,
    call: CallContext,
  ): AsyncGenerator<InferenceResponse> {
    const handle = this.#options.registry.acquire(call.name, call.version);
    const started = performance.now();
    const context = new CallScope(
      call.cancellation,
      this.#options.settings.inference_timeout,
      handle.model.name,
      this.#running,
    );
    const span = this.#tracer === undefined
      ? undefined
      : this.#modelSpan(call, handle.model, undefined);
    let ok = false;
    try {
      const model = handle.model;
      let first: InferenceRequest | undefined;
      const seen = tap(requests, (request) => {
        if (first === undefined) {
          prepare(request, call);
          first = request;
          if (request.id !== undefined) span?.set("inference.request_id", request.id);
        } else {
          request.id = first.id;
          attachHeaders(request, call);
        }
      });
      for await (const response of model.predictStream(seen, context)) {
        const aborted = context.aborted;
        if (aborted !== undefined) throw aborted;
        yield finish(response, first ?? { inputs: [] }, call.name, model);
      }
      ok = true;
    } catch (err) {
      span?.fail(messageOf(err));
      throw err;
    } finally {
      context.clear();
      handle.release();
      // One observation per stream, as MLServer counts a stream once.
      const ended = performance.now();
      this.#meterOf(handle.model).inferred({
        ok,
        received: call.receivedAt ?? started,
        started,
        runtimeStarted: started,
        ended,
        batchSize: 1,
      });
      span?.end();
    }
  }
}

/** Gives a request its id (when it has none) and the transport's headers. */
function prepare(request: InferenceRequest, call: CallContext): void {
  if (request.id === undefined || request.id === "") request.id = crypto.randomUUID();
  attachHeaders(request, call);
}

function attachHeaders(request: InferenceRequest, call: CallContext): void {
  if (call.headers !== undefined) {
    request.parameters = withLazyHeaders(request.parameters, call.headers);
  }
}

/** Echoes the request's id and the model name as received. */
function finish(
  response: InferenceResponse,
  request: InferenceRequest,
  name: string,
  model: Model,
): InferenceResponse {
  response.model_name = name;
  // The answer carries the request's id, whatever the runtime put there.
  if (request.id === undefined) delete response.id;
  else response.id = request.id;
  if (response.model_version === undefined && model.version !== undefined) {
    response.model_version = model.version;
  }
  return response;
}

/** Inferences in a request: a batching model's batch rows (Triton's rule), else 1. */
function batchSizeOf(request: InferenceRequest, model: Model): number {
  if (model.settings.max_batch_size <= 0) return 1;
  const rows = request.inputs[0]?.shape[0];
  return rows === undefined || rows < 1 ? 1 : rows;
}

async function* tap<T>(items: AsyncIterable<T>, see: (item: T) => void): AsyncGenerator<T> {
  for await (const item of items) {
    see(item);
    yield item;
  }
}
