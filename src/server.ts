/**
 * `ModelServer`, the composition root: the only file that wires concrete
 * classes together and starts listeners. It starts the servers first, then
 * loads models concurrently while they already answer health checks.
 *
 * @module
 */

import { BUILTIN_RUNTIMES } from "../runtimes/builtins.ts";
import { DataPlane } from "./dataplane/dataplane.ts";
import { Readiness } from "./dataplane/readiness.ts";
import { RepositoryHandlers } from "./dataplane/repository_handlers.ts";
import { clip, hostPort, listenError, messageOf, UnavailableError } from "./errors.ts";
import { GrpcServer } from "./grpc/server.ts";
import { type ConnectionSource, HttpServer } from "./http_server.ts";
import { defaultMaxConnections } from "./rest/connection_guard.ts";
import { createLogger, type Logger } from "./logging.ts";
import { ModelRegistry } from "./registry/model_registry.ts";
import { ModelRepository } from "./repository/repository.ts";
import { SwaggerDocs } from "./docs/swagger.ts";
import { PrometheusMetrics } from "./metrics/registry.ts";
import { createRestHandler } from "./rest/app.ts";
import { ConcurrencyLimitedModel } from "./runtime/concurrency.ts";
import { CustomMetricsScope } from "./runtime/custom_metrics.ts";
import { type LoaderOptions, loadImplementation } from "./runtime/loader.ts";
import type { Model } from "./runtime/model.ts";
import { type ModelSources, NO_MODEL_SOURCES } from "./settings/load.ts";
import type { ModelSettings } from "./settings/model_settings.ts";
import { modelSettingsNotApplied, serverSettingsNotApplied } from "./settings/not_applied.ts";
import type { ServerSettings } from "./settings/server_settings.ts";
import { loggerOptionsFrom } from "./settings/logging_settings.ts";
import { DeferredTracer } from "./tracing/deferred.ts";

/** Protocol extensions implemented by this server, advertised in `GET /v2`. */
export const EXTENSIONS: readonly string[] = [
  "model_repository",
  "binary_tensor_data",
  "statistics",
];

/** What a server is built from. */
export interface ModelServerOptions {
  settings: ServerSettings;
  /**
   * What the environment says about models (`readModelSources`): defaults,
   * the environment-only model, `MLSERVER_MODULE_PATH`. Default: nothing.
   */
  models?: ModelSources;
  logger?: Logger;
  /** Working folder for relative paths; default the process's. */
  cwd?: string;
  /** Where the HTTP listener's guard gets the open connections (default: /proc). */
  connections?: ConnectionSource;
}

/** A running model server: REST and gRPC over one data plane. */
export class ModelServer implements AsyncDisposable {
  readonly settings: ServerSettings;
  readonly logger: Logger;
  readonly registry: ModelRegistry;
  readonly repository: ModelRepository;
  readonly dataplane: DataPlane;
  readonly repositoryHandlers: RepositoryHandlers;
  readonly readiness: Readiness;
  /** Prometheus metrics, Triton statistics and runtimes' custom metrics. */
  readonly metrics: PrometheusMetrics;
  readonly #loader: LoaderOptions;
  readonly #connections: ConnectionSource | undefined;
  readonly #tracer: DeferredTracer | undefined;
  #http: HttpServer | undefined;
  #metricsHttp: Deno.HttpServer<Deno.NetAddr> | undefined;
  #grpc: GrpcServer | undefined;
  #startup: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  /** Aborted when shutdown needs the calls still running to end (they answer 503). */
  readonly #shutdown = new AbortController();

  constructor(options: ModelServerOptions) {
    const { settings } = options;
    const models = options.models ?? NO_MODEL_SOURCES;
    this.settings = settings;
    // An inline logging_settings applies here; a file path is read by the
    // CLI (`loggerOptions`), which hands the logger in.
    this.logger = options.logger ?? createLogger(
      loggerOptionsFrom(
        settings,
        typeof settings.logging_settings === "string" ? undefined : settings.logging_settings,
      ),
    );
    this.metrics = new PrometheusMetrics({
      restPrefix: settings.metrics_rest_server_prefix,
      transport: settings.metrics_endpoint !== null,
    });
    this.#tracer = settings.tracing_server === null ? undefined : new DeferredTracer();
    const cwd = options.cwd ?? Deno.cwd();
    this.#connections = options.connections;
    this.#loader = {
      modelsRoot: settings.model_repository_root,
      modulePath: models.modulePath,
      cwd,
      builtins: BUILTIN_RUNTIMES,
    };
    this.repository = new ModelRepository({
      root: settings.model_repository_root,
      defaults: models.defaults,
      logger: this.logger,
    });
    this.registry = new ModelRegistry({
      create: (modelSettings) => this.#createModel(modelSettings),
      logger: this.logger,
      drainTimeoutMs: settings.shutdown_timeout * 1000,
      onChange: () => this.readiness.changed(),
    });
    this.readiness = new Readiness(settings.load_models_at_startup, () => this.registry.statuses());
    this.dataplane = new DataPlane({
      settings,
      registry: this.registry,
      readiness: this.readiness,
      stopping: this.#shutdown.signal,
      logger: this.logger,
      extensions: EXTENSIONS,
      metrics: this.metrics,
      tracer: this.#tracer,
    });
    this.repositoryHandlers = new RepositoryHandlers({
      repository: this.repository,
      registry: this.registry,
      logger: this.logger,
    });
  }

  /** The REST port actually bound (useful with port 0). */
  get httpPort(): number {
    if (this.#http === undefined) throw new Error("Server not started");
    return this.#http.port;
  }

  /** The gRPC port actually bound (useful with port 0). */
  get grpcPort(): number {
    if (this.#grpc === undefined) throw new Error("Server not started");
    return this.#grpc.port;
  }

  /** The metrics port actually bound (useful with port 0). */
  get metricsPort(): number {
    if (this.#metricsHttp === undefined) throw new Error("Metrics server not started");
    return this.#metricsHttp.addr.port;
  }

  /** Resolves when startup loading has finished (successfully or not). */
  get startupDone(): Promise<void> {
    return this.#startup ?? Promise.resolve();
  }

  /**
   * Starts listening, then loads models in the background (when
   * `load_models_at_startup`).
   */
  async start(): Promise<void> {
    const { settings, logger } = this;
    for (const warning of serverSettingsNotApplied(settings)) logger.warning(warning);
    if (this.#tracer !== undefined && settings.tracing_server !== null) {
      const { OtelTracer } = await import("./tracing/otel.ts");
      this.#tracer.use(
        new OtelTracer({
          endpoint: settings.tracing_server,
          serviceName: settings.server_name,
          serviceVersion: settings.server_version,
        }),
      );
      logger.info(`Tracing to ${settings.tracing_server} (OTLP/gRPC)`);
    }
    const exposition = settings.metrics_endpoint === null ? undefined : {
      path: settings.metrics_endpoint,
      scrape: () => this.metrics.scrape(),
      contentType: this.metrics.contentType,
    };
    const handler = createRestHandler({
      dataplane: this.dataplane,
      repository: this.repositoryHandlers,
      settings,
      logger,
      metrics: this.metrics,
      exposition,
      tracer: this.#tracer,
      docs: new SwaggerDocs({ serverVersion: settings.server_version }),
    });
    this.#http = await HttpServer.start({
      host: settings.host,
      port: settings.http_port,
      handler,
      limits: {
        headerTimeoutMs: settings.http_header_timeout * 1000,
        idleTimeoutMs: settings.idle_timeout * 1000,
        maxConnections: settings.max_connections ?? await defaultMaxConnections(),
      },
      logger,
      ...(this.#connections === undefined ? {} : { connections: this.#connections }),
    });
    try {
      if (exposition !== undefined) {
        this.#metricsHttp = serveMetrics(settings, exposition, logger);
      }
      this.#grpc = await this.#startGrpc();
    } catch (err) {
      // Nothing half-started stays behind.
      await Promise.all([this.#http.stop(), this.#metricsHttp?.shutdown()]);
      throw err;
    }
    const grpc = this.#grpc;
    this.readiness.onChange((ready) => grpc.setServing(ready));
    this.readiness.markListening();
    this.#startup = settings.load_models_at_startup ? this.#loadAtStartup() : Promise.resolve();
  }

  #startGrpc(): Promise<GrpcServer> {
    const { settings, logger } = this;
    return GrpcServer.start({
      host: settings.host,
      port: settings.grpc_port,
      maxMessageLength: settings.grpc_max_message_length,
      idleTimeoutMs: settings.idle_timeout * 1000,
      dataplane: this.dataplane,
      repository: this.repositoryHandlers,
      logger,
      metrics: this.metrics,
      tracer: this.#tracer,
    });
  }

  /**
   * Stops gracefully: stops accepting, lets in-flight requests finish (up to
   * `shutdown_timeout`), then unloads every model.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * One budget, `shutdown_timeout`, for everything: the listeners stop
   * accepting and running requests may finish; shortly before the deadline
   * every call still running is answered 503 / UNAVAILABLE (through its call
   * signal); models are unloaded with whatever time is left.
   */
  async #stop(): Promise<void> {
    const budgetMs = this.settings.shutdown_timeout * 1000;
    const deadline = performance.now() + budgetMs;
    const left = (): number => Math.max(0, deadline - performance.now());
    this.logger.info("Shutting down");
    this.readiness.markStopping();
    // Leave a tenth of the budget (at most a second) to answer the calls still running.
    const answerAt = budgetMs - Math.min(budgetMs / 10, 1000);
    const abortTimer = setTimeout(() => {
      this.#shutdown.abort(new UnavailableError("The server is shutting down"));
    }, answerAt);
    try {
      const listeners: Promise<void>[] = [];
      if (this.#grpc !== undefined) listeners.push(this.#grpc.stop(budgetMs));
      if (this.#http !== undefined) listeners.push(this.#http.stop());
      if (this.#metricsHttp !== undefined) listeners.push(this.#metricsHttp.shutdown());
      await within(Promise.all(listeners), left());
      await within(this.#startup?.catch(() => {}) ?? Promise.resolve(), left());
      await within(this.registry.unloadAll(left()), left());
    } finally {
      clearTimeout(abortTimer);
      this.#shutdown.abort(new UnavailableError("The server is shutting down"));
    }
    if (this.#tracer !== undefined) await this.#flushTraces(this.#tracer);
    this.logger.info("Stopped");
  }

  /** Sends the last spans, waiting at most 5 s: an unreachable collector must not hold up the exit. */
  async #flushTraces(tracer: DeferredTracer): Promise<void> {
    let problem = "timed out";
    await within(
      tracer.shutdown().then(() => problem = "", (err) => problem = messageOf(err)),
      5000,
    );
    if (problem !== "") this.logger.warning(`Cannot flush traces: ${problem}`);
  }

  async #createModel(settings: ModelSettings): Promise<Model> {
    const log = this.logger.forModel(settings.name, settings.parameters.version);
    for (const warning of modelSettingsNotApplied(settings)) log.warning(warning);
    const ModelClass = await loadImplementation(settings, this.#loader);
    return wrapModel(new ModelClass(settings), this.metrics);
  }

  async #loadAtStartup(): Promise<void> {
    const entries = await this.repository.list();
    const byName = new Map<string, ModelSettings[]>();
    const unreadable: Promise<void>[] = [];
    for (const entry of entries) {
      if (entry.ok) {
        const { settings } = entry;
        byName.set(settings.name, [...byName.get(settings.name) ?? [], settings]);
      } else {
        // Registered as failed: the index, model ready and readiness all say so.
        unreadable.push(this.registry.fail(entry.name, entry.reason));
      }
    }
    if (entries.length === 0) {
      this.logger.warning(
        `No models found in ${this.settings.model_repository_root}: the server will not be ready ` +
          `until one loads (add a model-settings.json, or set MLSERVER_MODEL_IMPLEMENTATION)`,
      );
    }
    await Promise.allSettled([
      ...unreadable,
      ...[...byName].map(([name, versions]) => this.registry.sync(name, versions)),
    ]);
    this.readiness.markStartupDone(entries.length);
    const failed = this.registry.statuses().filter((s) => s.state !== "READY");
    if (failed.length > 0) {
      this.logger.warning(
        `Startup finished with ${failed.length} model(s) not ready: ` +
          failed.map((s) => s.name + (s.version === "" ? "" : `:${s.version}`)).join(", "),
      );
    } else if (entries.length > 0) {
      this.logger.info(`Startup finished: ${entries.length} model(s) ready`);
    }
  }
}

/**
 * The wrapper chain, built in this one place from the model's settings: each
 * feature is a `Model` around a `Model`, so the registry and the data plane
 * never know which links a model has. The custom-metrics scope is the
 * first link (closest to the runtime: it binds the runtime's `log()` calls to
 * the model), then the concurrency limit, so that whatever is added outside
 * it later sees queueing as part of the call.
 */
function wrapModel(runtime: Model, metrics: PrometheusMetrics): Model {
  let model: Model = new CustomMetricsScope(runtime, metrics.custom);
  if (model.settings.max_concurrency !== undefined) model = new ConcurrencyLimitedModel(model);
  metrics.modelAdded({ name: model.name, version: model.version ?? "" });
  return model;
}

/** Waits for `promise`, or `ms` milliseconds, whichever is first. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

/** The metrics listener on `metrics_port`: only `metrics_endpoint`, as MLServer's. */
function serveMetrics(
  settings: ServerSettings,
  exposition: { path: string; scrape(): Promise<string>; contentType: string },
  logger: Logger,
): Deno.HttpServer<Deno.NetAddr> {
  const handler = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname.replace(/(.)\/+$/, "$1");
    if (path !== exposition.path || request.method !== "GET") {
      return Response.json({ error: `Not found: ${clip(request.method)} ${clip(path)}` }, {
        status: 404,
      });
    }
    return new Response(await exposition.scrape(), {
      headers: { "content-type": exposition.contentType },
    });
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    // Deno.serve binds before it returns: its address is known at once.
    server = Deno.serve(
      { hostname: settings.host, port: settings.metrics_port, onListen() {} },
      handler,
    );
  } catch (err) {
    throw listenError("metrics", hostPort(settings.host, settings.metrics_port), err);
  }
  const { hostname, port } = server.addr;
  logger.info(`Metrics server running on http://${hostname}:${port}${exposition.path}`);
  return server;
}
