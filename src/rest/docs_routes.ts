/**
 * The API documentation pages: Swagger UI served from the package's own
 * files (never a CDN), the OpenAPI document of the whole API, and the same
 * for one model with its declared inputs and outputs.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { json } from "./responses.ts";

function notFound(context: Context): Response {
  const { method, url } = context.request;
  return json({ error: `Not found: ${method} ${new URL(url).pathname}` }, 404, context.options);
}

/** The Swagger UI page (`/v2/docs` or a model's `.../docs`). */
export async function docsPage(context: Context): Promise<Response> {
  const { deps, params } = context;
  if (deps.docs === undefined) return notFound(context);
  const root = deps.settings.root_path.replace(/\/+$/, "");
  let title = "MLServer API";
  let spec = `${root}/v2/docs/dataplane.json`;
  if (params.name !== undefined) {
    await deps.dataplane.modelMetadata(params.name, params.version); // 404 for an unknown model
    const model = `/v2/models/${encodeURIComponent(params.name)}` +
      (params.version === undefined ? "" : `/versions/${encodeURIComponent(params.version)}`);
    title = `MLServer API: ${params.name}`;
    spec = `${root}${model}/docs/dataplane.json`;
  }
  const html = deps.docs.page({ title, specUrl: spec, assetsUrl: `${root}/v2/docs/assets` });
  const headers = new Headers(context.options.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(html, { headers });
}

/** The OpenAPI document: the whole API, or one model's endpoints. */
export async function docsDocument(context: Context): Promise<Response> {
  const { deps, params, options } = context;
  if (deps.docs === undefined) return notFound(context);
  const rootPath = deps.settings.root_path.replace(/\/+$/, "");
  if (params.name === undefined) return json(deps.docs.dataplane(rootPath), 200, options);
  const metadata = await deps.dataplane.modelMetadata(params.name, params.version);
  return json(
    deps.docs.model({ ...metadata, name: params.name }, { version: params.version, rootPath }),
    200,
    options,
  );
}

/** One of Swagger UI's files. */
export async function docsAsset(context: Context): Promise<Response> {
  const asset = await context.deps.docs?.asset(context.params.file as string);
  if (asset === undefined) return notFound(context);
  const headers = new Headers(context.options.headers);
  headers.set("content-type", asset.contentType);
  headers.set("cache-control", "public, max-age=86400");
  return new Response(asset.body as Uint8Array<ArrayBuffer>, { headers });
}
