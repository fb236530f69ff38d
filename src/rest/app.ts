/**
 * `createRestHandler`: the REST API as a plain `(Request) => Promise<Response>`
 * function, so tests can call it without a socket and `server.ts` can hand
 * it to `Deno.serve`. This file holds the one catch site that turns errors
 * into responses.
 *
 * @module
 */

import type { Context, RestDeps, RestHandler } from "./context.ts";
import { Cors } from "./cors.ts";
import { acceptsGzip, errorResponse, json, logFailure, type ResponseOptions } from "./responses.ts";
import { Router } from "./router.ts";
import { ROUTES } from "./routes.ts";

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
  const router = new Router(ROUTES);
  const cors = deps.settings.cors_settings === null
    ? undefined
    : new Cors(deps.settings.cors_settings);
  const rootPath = deps.settings.root_path.replace(/\/+$/, "");
  const log = deps.logger.child("rest");

  return async (request: Request): Promise<Response> => {
    const options: ResponseOptions = {
      gzip: deps.settings.gzip_enabled && acceptsGzip(request.headers.get("accept-encoding")),
      headers: cors?.responseHeaders(request),
    };
    try {
      if (cors?.isPreflight(request)) return cors.preflight(request);
      const path = routePath(pathOf(request.url), rootPath);
      const match = router.match(request.method, path);
      if (match.kind === "not-found") {
        return json({ error: `Not found: ${request.method} ${clip(path)}` }, 404, options);
      }
      if (match.kind === "method-not-allowed") {
        const headers = new Headers(options.headers);
        headers.set("allow", match.allowed.join(", "));
        return json(
          { error: `Method ${request.method} not allowed on ${path}` },
          405,
          { ...options, headers },
        );
      }
      const context: Context = { request, params: match.params, deps, options, log };
      return await match.handler(context);
    } catch (err) {
      if (err instanceof URIError) {
        return json({ error: `Malformed URL: ${clip(request.url)}` }, 400, options);
      }
      logFailure(log, `${request.method} ${request.url}`, err);
      return errorResponse(err, options);
    }
  };
}

/** A path or URL as an error message repeats it: at most 256 characters (URLs can be huge). */
function clip(text: string): string {
  return text.length > 256 ? `${text.slice(0, 256)}…` : text;
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
