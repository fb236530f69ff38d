/**
 * The data plane both transports call: health, metadata and inference.
 * Transports only translate; every rule of the protocol lives here or below.
 *
 * @module
 */

import { DeadlineExceededError, UnimplementedError } from "../errors.ts";
import type { Logger } from "../logging.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  ModelMetadata,
  ServerMetadata,
} from "../protocol/types.ts";
import type { ModelRegistry } from "../registry/model_registry.ts";
import type { MLModel } from "../runtime/model.ts";
import type { ServerSettings } from "../settings/server_settings.ts";
import { ConcurrencyLimiter } from "./limiter.ts";
import type { Readiness } from "./readiness.ts";

/** What the data plane is built from. */
export interface DataPlaneOptions {
  settings: Pick<
    ServerSettings,
    "server_name" | "server_version" | "extensions" | "inference_timeout"
  >;
  registry: ModelRegistry;
  readiness: Readiness;
  logger: Logger;
  /** Protocol extensions this server implements, advertised in metadata. */
  extensions?: readonly string[];
}

/** Health, metadata and inference, independent of the transport. */
export class DataPlane {
  readonly #options: DataPlaneOptions;
  readonly #limiters = new WeakMap<MLModel, ConcurrencyLimiter | null>();
  readonly #metadata: ServerMetadata;

  constructor(options: DataPlaneOptions) {
    this.#options = options;
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
   * Runs one inference.
   *
   * @param request the decoded request (transports add `parameters.headers`)
   * @param name the model name as the client sent it (echoed in the answer)
   * @param version the version the client asked for, if any
   */
  async infer(
    request: InferenceRequest,
    name: string,
    version?: string,
  ): Promise<InferenceResponse> {
    // One async function with try/finally rather than a chain of closures:
    // this runs for every request, and its garbage is what GC pauses cost.
    const handle = this.#options.registry.acquire(name, version);
    const model = handle.model;
    const limiter = this.#limiterFor(model);
    const timeout = this.#options.settings.inference_timeout;
    // The deadline covers the wait for a slot as well as the prediction.
    const deadline = timeout === null ? undefined : new Deadline(timeout, model.name);
    let admitted = false;
    let detached = false;
    try {
      if (limiter !== null) {
        const wait = limiter.acquire(`Model ${model.name}`, deadline?.signal);
        if (wait !== undefined) await wait;
      }
      admitted = true;
      let response: InferenceResponse;
      if (deadline === undefined) {
        response = await model.predict(request);
      } else {
        // The model and its slot stay held until the prediction really ends,
        // so an unload never pulls the model out from under a request that
        // timed out but still runs.
        detached = true;
        const running = settle(() => model.predict(request));
        running.finally(() => {
          limiter?.release();
          handle.release();
        }).catch(() => {});
        response = await Promise.race([running, deadline.expired]);
      }
      return finish(response, request, name, model);
    } finally {
      deadline?.clear();
      if (!detached) {
        if (admitted) limiter?.release();
        handle.release();
      }
    }
  }

  /**
   * Streams inferences: the model's `predictStream` gets the requests and
   * yields any number of responses.
   *
   * @throws {UnimplementedError} when the model has no `predictStream`
   */
  async *inferStream(
    requests: AsyncIterable<InferenceRequest>,
    name: string,
    version?: string,
  ): AsyncGenerator<InferenceResponse> {
    const handle = this.#options.registry.acquire(name, version);
    try {
      const model = handle.model;
      if (model.predictStream === undefined) {
        throw new UnimplementedError(`Model ${name} does not support streaming`);
      }
      let first: InferenceRequest | undefined;
      const seen = tap(requests, (request) => {
        if (first === undefined) {
          first = request;
        } else if (first.id === undefined) { // every request keeps the first one's id, as in MLServer
          delete request.id;
        } else {
          request.id = first.id;
        }
      });
      for await (const response of model.predictStream(seen)) {
        yield finish(response, first ?? { inputs: [] }, name, model);
      }
    } finally {
      handle.release();
    }
  }

  /** The model's `max_concurrency` limiter, or null when it has none. */
  #limiterFor(model: MLModel): ConcurrencyLimiter | null {
    let limiter = this.#limiters.get(model);
    if (limiter === undefined) {
      const { max_concurrency: limit, max_queue_size: queue } = model.settings;
      limiter = limit === undefined ? null : new ConcurrencyLimiter(limit, queue ?? Infinity);
      this.#limiters.set(model, limiter);
    }
    return limiter;
  }
}

/** `inference_timeout` for one request: a signal for the queue, a promise for the race (504). */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  /** Rejects with a `DeadlineExceededError` when the time is up. */
  readonly expired: Promise<never>;

  constructor(seconds: number, model: string) {
    const { promise, reject } = Promise.withResolvers<never>();
    promise.catch(() => {}); // handled wherever it is raced; nobody may race it
    this.expired = promise;
    this.#timer = setTimeout(() => {
      const error = new DeadlineExceededError(
        `Inference on model ${model} timed out after ${seconds} s`,
      );
      this.#controller.abort(error);
      reject(error);
    }, seconds * 1000);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** Calls runtime code, turning a synchronous throw or a plain value into a promise. */
function settle<T>(call: () => Promise<T> | T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Echoes the request's id and the model name as received. */
function finish(
  response: InferenceResponse,
  request: InferenceRequest,
  name: string,
  model: MLModel,
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

async function* tap<T>(items: AsyncIterable<T>, see: (item: T) => void): AsyncGenerator<T> {
  for await (const item of items) {
    see(item);
    yield item;
  }
}
