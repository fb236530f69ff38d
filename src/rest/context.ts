/**
 * What every REST handler works with: the dependencies the API is built
 * from, the per-request context, and the handler types. Its own file so the
 * route table and the request handler both import it and not each other.
 *
 * @module
 */

import type { DataPlaneApi } from "../dataplane/dataplane.ts";
import type { RepositoryHandlers } from "../dataplane/repository_handlers.ts";
import type { Logger } from "../logging.ts";
import type { MetricsRecorder, Tracer, TraceSpan } from "../metrics/recorder.ts";
import type { ModelMetadata } from "../protocol/types.ts";
import type { ServerSettings } from "../settings/server_settings.ts";
import type { ResponseOptions } from "./responses.ts";
import type { Params } from "./router.ts";

/** What the REST API is built from. */
export interface RestDeps {
  dataplane: DataPlaneApi;
  repository: Pick<RepositoryHandlers, "index" | "load" | "unload">;
  settings: Pick<
    ServerSettings,
    "max_request_size" | "gzip_enabled" | "cors_settings" | "root_path"
  >;
  logger: Logger;
  /** Where requests are reported; default nowhere. */
  metrics?: MetricsRecorder;
  /** The Prometheus exposition served at `metrics_endpoint`, when metrics are on. */
  exposition?: { path: string; scrape(): Promise<string>; contentType: string } | undefined;
  /** Opens each request's server span when tracing is on. */
  tracer?: Tracer | undefined;
  /** The API documentation pages; without it the docs routes answer 404. */
  docs?: ApiDocs;
}

/** The OpenAPI documents and the Swagger UI that shows them. */
export interface ApiDocs {
  /** The Swagger UI page showing the document at `specUrl`. */
  page(options: { title: string; specUrl: string; assetsUrl: string }): string;
  /** A file of the Swagger UI by name, or undefined when there is none. */
  asset(name: string): Promise<{ body: Uint8Array; contentType: string } | undefined>;
  /** The OpenAPI document of the REST API, served under `rootPath`. */
  dataplane(rootPath: string): unknown;
  /** The OpenAPI document of one model's endpoints, filled with its metadata. */
  model(
    metadata: ModelMetadata,
    options: { version?: string | undefined; rootPath: string },
  ): unknown;
}

/** Everything a route handler gets. */
export interface Context {
  request: Request;
  params: Params;
  deps: RestDeps;
  options: ResponseOptions;
  /** The `rest` logger. */
  log: Logger;
  /** When the request arrived (`performance.now()`), 0 when nothing is timed. */
  receivedAt: number;
  /** The request's server span, when tracing is on. */
  span?: TraceSpan | undefined;
  /** The inference id, once a handler knows it (for the access line). */
  requestId?: string | undefined;
  /** When the handler finished its answer, if it read the clock anyway (`performance.now()`). */
  finishedAt?: number | undefined;
}

/** A route handler. */
export type Handler = (context: Context) => Promise<Response> | Response;

/** A fetch-style request handler: the whole REST API. */
export type RestHandler = (request: Request) => Promise<Response>;
