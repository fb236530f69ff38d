/**
 * `ModelServer`, the composition root: the only file that wires concrete
 * classes together and starts listeners. It starts the servers first, then
 * loads models concurrently while they already answer health checks.
 *
 * @module
 */

import { BUILTIN_RUNTIMES } from "../runtimes/builtins.ts";
import { DataPlane } from "./dataplane/dataplane.ts";
import { Readiness, type StartupTarget } from "./dataplane/readiness.ts";
import { RepositoryHandlers } from "./dataplane/repository_handlers.ts";
import { messageOf } from "./errors.ts";
import { GrpcServer } from "./grpc/server.ts";
import { createLogger, type Logger } from "./logging.ts";
import { ModelRegistry, versionOf } from "./registry/model_registry.ts";
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
  readonly #tracer: DeferredTracer | undefined;
  #http: Deno.HttpServer<Deno.NetAddr> | undefined;
  #metricsHttp: Deno.HttpServer<Deno.NetAddr> | undefined;
  #grpc: GrpcServer | undefined;
  #startup: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

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
    this.readiness = new Readiness(
      settings.load_models_at_startup,
      ({ name, version }) => this.registry.status(name, version)?.state === "READY",
    );
    this.dataplane = new DataPlane({
      settings,
      registry: this.registry,
      readiness: this.readiness,
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
    return this.#http.addr.port;
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
    const listening = Promise.withResolvers<void>();
    this.#http = Deno.serve({
      hostname: settings.host,
      port: settings.http_port,
      onListen: ({ hostname, port }) => {
        logger.info(`HTTP server running on http://${hostname}:${port}`);
        listening.resolve();
      },
      onError: (err) => {
        logger.error(`Unhandled HTTP error: ${messageOf(err)}`, { err });
        return new Response(JSON.stringify({ error: "Internal server error" }), { status: 500 });
      },
    }, handler);
    await listening.promise;
    if (exposition !== undefined) {
      this.#metricsHttp = await serveMetrics(settings, exposition, logger);
    }
    this.#grpc = await GrpcServer.start({
      host: settings.host,
      port: settings.grpc_port,
      maxMessageLength: settings.grpc_max_message_length,
      dataplane: this.dataplane,
      repository: this.repositoryHandlers,
      logger,
      metrics: this.metrics,
      tracer: this.#tracer,
    });
    const grpc = this.#grpc;
    this.readiness.onChange((ready) => grpc.setServing(ready));
    this.readiness.markListening();
    this.#startup = settings.load_models_at_startup ? this.#loadAtStartup() : Promise.resolve();
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

  async #stop(): Promise<void> {
    const timeoutMs = this.settings.shutdown_timeout * 1000;
    this.logger.info("Shutting down");
    const stopping: Promise<void>[] = [];
    if (this.#grpc !== undefined) stopping.push(this.#grpc.stop(timeoutMs));
    if (this.#http !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
      stopping.push(
        Promise.race([this.#http.shutdown(), timedOut]).finally(() => clearTimeout(timer)),
      );
    }
    if (this.#metricsHttp !== undefined) stopping.push(this.#metricsHttp.shutdown());
    await Promise.all(stopping);
    await this.#startup?.catch(() => {});
    await this.registry.unloadAll();
    if (this.#tracer !== undefined) await this.#flushTraces(this.#tracer);
    this.logger.info("Stopped");
  }

  /** Sends the last spans, waiting at most 5 s: an unreachable collector must not hold up the exit. */
  async #flushTraces(tracer: DeferredTracer): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<string>((resolve) =>
      timer = setTimeout(() => resolve("timed out"), 5000)
    );
    const flushed = tracer.shutdown().then(() => "", (err) => messageOf(err));
    const problem = await Promise.race([flushed, gaveUp]);
    clearTimeout(timer);
    if (problem !== "") this.logger.warning(`Cannot flush traces: ${problem}`);
  }

  async #createModel(settings: ModelSettings): Promise<Model> {
    const ModelClass = await loadImplementation(settings, this.#loader);
    return wrapModel(new ModelClass(settings), this.metrics);
  }

  async #loadAtStartup(): Promise<void> {
    const entries = await this.repository.list();
    const targets: StartupTarget[] = [];
    const byName = new Map<string, ModelSettings[]>();
    for (const entry of entries) {
      if (!entry.ok) {
        targets.push({ name: entry.name, version: "" });
        continue;
      }
      const { settings } = entry;
      targets.push({ name: settings.name, version: versionOf(settings) });
      byName.set(settings.name, [...byName.get(settings.name) ?? [], settings]);
    }
    if (entries.length === 0) {
      this.logger.warning(
        `No models found in ${this.settings.model_repository_root}: the server will not be ready ` +
          `until one loads (add a model-settings.json, or set MLSERVER_MODEL_IMPLEMENTATION)`,
      );
    }
    await Promise.allSettled(
      [...byName].map(([name, versions]) => this.registry.sync(name, versions)),
    );
    this.readiness.markStartupDone(targets);
    const failed = targets.filter((t) =>
      this.registry.status(t.name, t.version)?.state !== "READY"
    );
    if (failed.length > 0) {
      this.logger.warning(
        `Startup finished with ${failed.length} model(s) not ready: ` +
          failed.map((t) => t.name + (t.version === "" ? "" : `:${t.version}`)).join(", "),
      );
    } else if (targets.length > 0) {
      this.logger.info(`Startup finished: ${targets.length} model(s) ready`);
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

/** The metrics listener on `metrics_port`: only `metrics_endpoint`, as MLServer's. */
async function serveMetrics(
  settings: ServerSettings,
  exposition: { path: string; scrape(): Promise<string>; contentType: string },
  logger: Logger,
): Promise<Deno.HttpServer<Deno.NetAddr>> {
  const listening = Promise.withResolvers<void>();
  const server = Deno.serve({
    hostname: settings.host,
    port: settings.metrics_port,
    onListen: ({ hostname, port }) => {
      logger.info(`Metrics server running on http://${hostname}:${port}${exposition.path}`);
      listening.resolve();
    },
  }, async (request) => {
    const path = new URL(request.url).pathname.replace(/(.)\/+$/, "$1");
    if (path !== exposition.path || request.method !== "GET") {
      return Response.json({ error: `Not found: ${request.method} ${path}` }, { status: 404 });
    }
    return new Response(await exposition.scrape(), {
      headers: { "content-type": exposition.contentType },
    });
  });
  await listening.promise;
  return server;
}
