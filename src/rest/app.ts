/**
 * `createRestHandler`: the REST API as a plain `(Request) => Promise<Response>`
 * function, so tests can call it without a socket and `server.ts` can hand
 * it to `Deno.serve`. This file holds the one catch site that turns errors
 * into responses, and the one place each request is measured: its metrics
 * (labelled with the route template, MLServer's starlette exporter's
 * grouped paths), its server span and its access line.
 *
 * @module
 */

import { clip } from "../errors.ts";
import type { TraceSpan } from "../metrics/recorder.ts";
import type { Context, Handler, RestDeps, RestHandler } from "./context.ts";
import { Cors } from "./cors.ts";
import { acceptsGzip, errorResponse, json, logFailure, type ResponseOptions } from "./responses.ts";
import { Router } from "./router.ts";
import { ROUTES } from "./routes.ts";

/** A route's handler with its metric labels: the template without and with a version. */
interface Routed {
  handle: Handler;
  paths: readonly [plain: string, versioned: string];
}

/**
 * Paths MLServer leaves out of the request metrics (and we out of the access
 * log). Compared with `===`: a Set lookup would hash each request's new path string.
 */
const LIVE = "/v2/health/live";
const READY = "/v2/health/ready";

/**
 * Builds the REST API handler.
 *
 * @example Ask a server for its health without opening a socket
 * ```ts ignore
 * const handler = createRestHandler(deps);
 * const response = await handler(new Request("http://localhost/v2/health/live"));
 * ```
 */
export function createRestHandler(deps: RestDeps): RestHandler {
  const router = new Router<Routed>(ROUTES.map((route) => ({
    method: route.method,
    pattern: route.pattern,
    handler: { handle: route.handler, paths: templates(route.pattern) },
  })));
  const cors = deps.settings.cors_settings === null
    ? undefined
    : new Cors(deps.settings.cors_settings);
  const rootPath = deps.settings.root_path.replace(/\/+$/, "");
  const log = deps.logger.child("rest");
  const access = deps.logger.child("access");
  const metrics = deps.metrics?.transport === true ? deps.metrics : undefined;
  const { tracer, exposition } = deps;

  /**
   * The route's answer, noting in `seen` what it matched. Not async: the one
   * async function per request is the handler below (each layer of them
   * costs a promise and a suspended frame on every request).
   */
  const answer = (
    request: Request,
    path: string,
    seen: Seen,
    options: ResponseOptions,
  ): Response | Promise<Response> => {
    if (cors?.isPreflight(request)) return cors.preflight(request);
    if (exposition !== undefined && path === exposition.path && request.method === "GET") {
      seen.route = path;
      return exposition.scrape().then((text) =>
        new Response(text, { headers: { "content-type": exposition.contentType } })
      );
    }
    const match = router.match(request.method, path);
    if (match.kind === "not-found") {
      return json({ error: `Not found: ${request.method} ${clip(path)}` }, 404, options);
    }
    if (match.kind === "method-not-allowed") {
      const headers = new Headers(options.headers);
      headers.set("allow", match.allowed.join(", "));
      return json(
        { error: `Method ${clip(request.method)} not allowed on ${clip(path)}` },
        405,
        { ...options, headers },
      );
    }
    const { handle, paths } = match.handler;
    seen.route = match.params.version === undefined ? paths[0] : paths[1];
    seen.context = {
      request,
      params: match.params,
      deps,
      options,
      log,
      receivedAt: seen.startedAt,
      span: seen.span,
    };
    return handle(seen.context);
  };

  /** The one catch site: an error becomes its response (and a fault is logged). */
  const failure = (request: Request, err: unknown, seen: Seen, options: ResponseOptions) => {
    if (err instanceof URIError) {
      return json({ error: `Malformed URL: ${clip(request.url)}` }, 400, options);
    }
    logFailure(log, `${request.method} ${request.url}`, err);
    seen.span?.fail(err instanceof Error ? err.message : String(err));
    return errorResponse(err, options);
  };

  return async (request: Request): Promise<Response> => {
    const path = routePath(pathOf(request.url), rootPath);
    const logged = access.enabled("debug");
    const measured = (metrics !== undefined || tracer !== undefined || logged) &&
      path !== LIVE && path !== READY && path !== exposition?.path;
    const method = request.method;
    const startedAt = measured ? performance.now() : 0;
    const seen: Seen = { startedAt, route: "", span: undefined, context: undefined };
    if (measured) {
      if (tracer !== undefined) {
        seen.span = tracer.server(method, {
          traceparent: request.headers.get("traceparent") ?? undefined,
          tracestate: request.headers.get("tracestate") ?? undefined,
        }, { "http.request.method": method, "url.path": path });
      }
      metrics?.restStarted(method);
    }
    const options: ResponseOptions = {
      gzip: deps.settings.gzip_enabled && acceptsGzip(request.headers.get("accept-encoding")),
      headers: cors?.responseHeaders(request),
    };
    let response: Response;
    try {
      response = await answer(request, path, seen, options);
    } catch (err) {
      response = failure(request, err, seen, options);
    }
    if (!measured) return response;
    const route = seen.route === "" ? "unmatched" : seen.route;
    const finishedAt = seen.context?.finishedAt ?? performance.now();
    metrics?.restFinished(method, route, response.status, (finishedAt - startedAt) / 1000);
    const span = seen.span;
    if (span !== undefined) {
      span.rename(`${method} ${route}`);
      span.set("http.route", route);
      span.set("http.response.status_code", response.status);
      if (response.status >= 500) span.fail(`HTTP ${response.status}`);
      span.end();
    }
    if (logged) {
      const ms = (finishedAt - startedAt).toFixed(2);
      const id = seen.context?.requestId ?? "-";
      access.debug(`${method} ${path} ${response.status} ${ms}ms id=${id}`);
    }
    return response;
  };
}

/** What the handler learns while a request is served. */
interface Seen {
  readonly startedAt: number;
  route: string;
  span: TraceSpan | undefined;
  context: Context | undefined;
}

/**
 * A route pattern as metric label and span name, FastAPI style as
 * MLServer's routes read: `/v2/models/{model_name}/infer` and
 * `/v2/models/{model_name}/versions/{model_version}/infer`.
 */
export function templates(pattern: string): [plain: string, versioned: string] {
  const named = (text: string): string =>
    text.replace(/:name\b/g, "{model_name}").replace(/:version\b/g, "{model_version}")
      .replace(/:([A-Za-z_]\w*)/g, "{$1}");
  const plain = named(pattern.replace(/\{[^}]*\}\?/g, ""));
  const versioned = named(pattern.replace(/\{([^}]*)\}\?/g, "$1"));
  return [plain, versioned];
}

/** The path of an absolute URL, without parsing the whole URL. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  const end = query >= 0 ? query : hash >= 0 ? hash : url.length;
  return url.slice(start, end);
}

/** The path routes see: `root_path` stripped, trailing slashes ignored. */
function routePath(pathname: string, rootPath: string): string {
  let path = pathname;
  if (rootPath !== "" && (path === rootPath || path.startsWith(`${rootPath}/`))) {
    path = path.slice(rootPath.length) || "/";
  }
  return path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") : path;
}
