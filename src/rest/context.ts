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
}

/** Everything a route handler gets. */
export interface Context {
  request: Request;
  params: Params;
  deps: RestDeps;
  options: ResponseOptions;
  /** The `rest` logger. */
  log: Logger;
}

/** A route handler. */
export type Handler = (context: Context) => Promise<Response> | Response;

/** A fetch-style request handler: the whole REST API. */
export type RestHandler = (request: Request) => Promise<Response>;
