/**
 * `InferenceClient`: a typed client of the Open Inference Protocol over REST
 * or gRPC, with the same calls, errors, headers, timeouts and retries on
 * both. Tensors go out and come back as typed arrays; `binary` sends them as
 * bytes (REST's binary tensor extension, gRPC raw contents). The gRPC
 * transport (and grpc-js) is imported only by a client that uses it.
 *
 * @module
 */

import { InferenceClientError } from "../errors.ts";
import type { ClientTransport, TransportCall } from "../protocol/transport.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  ModelMetadata,
  RepositoryIndexItem,
  ServerMetadata,
} from "../protocol/types.ts";
import { RestTransport } from "../rest/client.ts";
import { type Attempt, sleep, startAttempt } from "./attempt.ts";
import type { CallOptions, InferenceClientOptions, InferOptions } from "./options.ts";
import { parseTarget, type Target } from "./target.ts";

export type { CallOptions, InferenceClientOptions, InferOptions, RetryInfo } from "./options.ts";

const MAX_DELAY = 30_000;

/**
 * A client of one inference server.
 *
 * @example Ask a server for its metadata (here a stand-in answering as one would)
 * ```ts
 * import { InferenceClient } from "mlserver";
 * await using server = Deno.serve({ port: 0, onListen() {} }, () =>
 *   Response.json({ name: "mlserver", version: "1.0", extensions: [] }));
 * using client = new InferenceClient({ url: `http://127.0.0.1:${server.addr.port}` });
 * console.assert((await client.metadata()).name === "mlserver");
 * ```
 *
 * @example Typed arrays in, typed arrays out
 * ```ts
 * import { InferenceClient } from "mlserver";
 * await using server = Deno.serve({ port: 0, onListen() {} }, () =>
 *   Response.json({
 *     model_name: "iris",
 *     outputs: [{ name: "predict", datatype: "INT64", shape: [1, 1], data: [0] }],
 *   }));
 * using client = new InferenceClient({ url: `http://127.0.0.1:${server.addr.port}` });
 * const response = await client.infer("iris", {
 *   inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2]) }],
 * });
 * console.assert(response.outputs[0]!.data instanceof BigInt64Array);
 * ```
 *
 * @example gRPC: nothing listening is a failure without an answer, so retryable
 * ```ts
 * import { InferenceClient, InferenceClientError } from "mlserver";
 * using client = new InferenceClient({ url: "grpc://127.0.0.1:9", timeout: 5_000 });
 * const err = await client.ready().catch((e) => e);
 * console.assert(err instanceof InferenceClientError && err.retryable && client.transport === "grpc");
 * ```
 *
 * @example A failure that may pass is retried, then reported
 * ```ts
 * import { InferenceClient, InferenceClientError } from "mlserver";
 * let calls = 0;
 * await using server = Deno.serve({ port: 0, onListen() {} }, () => {
 *   calls++;
 *   return Response.json({ error: "Model iris is overloaded" }, { status: 503 });
 * });
 * using client = new InferenceClient({
 *   url: `http://127.0.0.1:${server.addr.port}`, retries: 2, retryDelay: 1,
 * });
 * const err = await client.modelMetadata("iris").catch((e) => e);
 * console.assert(err instanceof InferenceClientError && err.status === 503 && calls === 3);
 * ```
 */
export class InferenceClient implements Disposable {
  readonly #target: Target;
  readonly #options: InferenceClientOptions;
  #transport: Promise<ClientTransport> | undefined;

  /**
   * @param options where the server is and how to call it
   * @throws {TypeError} for a url that is not one of the forms above
   */
  constructor(options: InferenceClientOptions) {
    this.#target = parseTarget(options.url, { transport: options.transport, ssl: options.ssl });
    this.#options = options;
  }

  /** `"rest"` or `"grpc"`. */
  get transport(): "rest" | "grpc" {
    return this.#target.transport;
  }

  /** Whether the server is live. */
  live(options: CallOptions = {}): Promise<boolean> {
    return this.#call(options, (t, call) => t.live(call));
  }

  /** Whether the server is ready (every model it tried to load is). */
  ready(options: CallOptions = {}): Promise<boolean> {
    return this.#call(options, (t, call) => t.ready(call));
  }

  /** Whether a model is ready; an unknown model is an error (404, NOT_FOUND). */
  modelReady(name: string, options: CallOptions = {}): Promise<boolean> {
    return this.#call(options, (t, call) => t.modelReady(name, call));
  }

  /** The server's name, version and extensions. */
  metadata(options: CallOptions = {}): Promise<ServerMetadata> {
    return this.#call(options, (t, call) => t.serverMetadata(call));
  }

  /** A model's metadata: its versions, platform, inputs and outputs. */
  modelMetadata(name: string, options: CallOptions = {}): Promise<ModelMetadata> {
    return this.#call(options, (t, call) => t.modelMetadata(name, call));
  }

  /**
   * Runs one inference.
   *
   * @throws {InferenceClientError} with the server's message and status (or code)
   */
  infer(
    name: string,
    request: InferenceRequest,
    options: InferOptions = {},
  ): Promise<InferenceResponse> {
    const binary = options.binary === true;
    return this.#call(options, (t, call) => t.infer(name, request, { ...call, binary }));
  }

  /**
   * Streams an inference: the model's `predictStream` answers with any number
   * of responses. On REST one request goes out (server-sent events answer);
   * gRPC (`ModelStreamInfer`) also takes a stream of requests. Only a single
   * request is retried, and only until the first response arrived. No
   * timeout applies unless the call gives one.
   */
  async *inferStream(
    name: string,
    requests: InferenceRequest | AsyncIterable<InferenceRequest> | Iterable<InferenceRequest>,
    options: InferOptions = {},
  ): AsyncGenerator<InferenceResponse> {
    const single = !isIterable(requests);
    const retries = single ? this.#retries(options) : 0;
    const binary = options.binary === true;
    const transport = await this.#connect();
    for (let attempt = 0;; attempt++) {
      const call = this.#attempt({ ...options, timeout: options.timeout ?? 0 });
      let answered = false;
      try {
        const source = single ? once(requests as InferenceRequest) : toAsync(requests);
        for await (const response of transport.inferStream(name, source, { ...call, binary })) {
          answered = true;
          yield response;
        }
        return;
      } catch (err) {
        const error = call.explain(err);
        if (answered || !(await this.#mayRetry(error, attempt, retries, options.signal))) {
          throw error;
        }
      } finally {
        call.dispose();
      }
    }
  }

  /** The repository index: every model found, with its state, or only the ready ones. */
  repositoryIndex(
    options: CallOptions & { ready?: boolean | undefined } = {},
  ): Promise<RepositoryIndexItem[]> {
    return this.#call(options, (t, call) => t.repositoryIndex(options.ready === true, call));
  }

  /** Loads (or reloads) a model from the server's models folder. */
  load(name: string, options: CallOptions = {}): Promise<void> {
    return this.#call(options, (t, call) => t.loadModel(name, call));
  }

  /** Unloads a model. */
  unload(name: string, options: CallOptions = {}): Promise<void> {
    return this.#call(options, (t, call) => t.unloadModel(name, call));
  }

  /** Closes the client's connections. */
  close(): void {
    this.#transport?.then((t) => t.close(), () => {});
    this.#transport = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #connect(): Promise<ClientTransport> {
    this.#transport ??= this.#target.transport === "rest"
      ? Promise.resolve(new RestTransport(this.#target.base, { caCerts: this.#options.caCerts }))
      : import("../grpc/client.ts").then(({ GrpcTransport }) =>
        new GrpcTransport(this.#target.base, {
          ssl: this.#target.ssl,
          insecure: this.#options.insecure === true,
          caCerts: this.#options.caCerts,
        })
      );
    return this.#transport;
  }

  async #call<T>(
    options: CallOptions,
    run: (transport: ClientTransport, call: TransportCall) => Promise<T>,
  ): Promise<T> {
    const transport = await this.#connect();
    const retries = this.#retries(options);
    for (let attempt = 0;; attempt++) {
      const call = this.#attempt(options);
      try {
        return await run(transport, call);
      } catch (err) {
        const error = call.explain(err);
        if (!(await this.#mayRetry(error, attempt, retries, options.signal))) throw error;
      } finally {
        call.dispose();
      }
    }
  }

  #retries(options: CallOptions): number {
    const retries = options.retries ?? this.#options.retries ?? 0;
    return Number.isFinite(retries) && retries > 0 ? Math.floor(retries) : 0;
  }

  #attempt(options: CallOptions): Attempt {
    return startAttempt({
      timeout: options.timeout ?? this.#options.timeout ?? 60_000,
      what: this.#options.url,
      headers: [this.#options.headers, options.headers],
      signal: options.signal,
      version: options.version,
    });
  }

  /** Whether to try again; if so, reports the retry and waits for it. */
  async #mayRetry(
    error: unknown,
    attempt: number,
    retries: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (!(error instanceof InferenceClientError) || !error.retryable || attempt >= retries) {
      return false;
    }
    const base = Math.min((this.#options.retryDelay ?? 100) * 2 ** attempt, MAX_DELAY);
    // Jitter keeps clients that failed together from retrying together.
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    this.#options.onRetry?.({ attempt: attempt + 1, error, delay });
    await sleep(delay, signal);
    return true;
  }
}

function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  return typeof value === "object" && value !== null &&
    (Symbol.asyncIterator in value || Symbol.iterator in value);
}

async function* once(request: InferenceRequest): AsyncGenerator<InferenceRequest> {
  yield request;
}

async function* toAsync(
  requests: AsyncIterable<InferenceRequest> | Iterable<InferenceRequest>,
): AsyncGenerator<InferenceRequest> {
  yield* requests;
}
