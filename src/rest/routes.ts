/**
 * The REST route table: one entry per endpoint of the Open Inference
 * Protocol and MLServer's extensions, the version being an optional segment.
 * Handlers translate HTTP to data-plane calls and back; nothing else.
 *
 * @module
 */

import type { CallContext } from "../dataplane/call.ts";
import { RepositoryIndexRequestSchema } from "../protocol/schemas.ts";
import type { InferenceRequest } from "../protocol/types.ts";
import { parseOrThrow } from "../protocol/validate.ts";
import { parseJson, readBody } from "./body.ts";
import type { Context, Handler } from "./context.ts";
import { headerRecord, readInferenceRequest, writeInferenceResponse } from "./inference.ts";
import { empty, json } from "./responses.ts";
import type { Route } from "./router.ts";
import { docsAsset, docsDocument, docsPage } from "./docs_routes.ts";
import { sseResponse } from "./sse.ts";

const MODEL = "/v2/models/:name{/versions/:version}?";

function modelName({ params }: Context): string {
  return params.name as string;
}

/** The call context of an inference: the model it names, the client's signal and headers. */
function callOf(context: Context): CallContext {
  const { request, params } = context;
  return {
    name: params.name as string,
    version: params.version,
    cancellation: () => request.signal, // costly in Deno.serve: only when read
    headers: () => headerRecord(request.headers),
    receivedAt: context.receivedAt === 0 ? undefined : context.receivedAt,
    span: context.span,
  };
}

/** Reads the request body, asking for the model's declared inputs only for the raw binary form. */
function readInference(context: Context) {
  const { request, params, deps } = context;
  return readInferenceRequest(
    request,
    deps.settings.max_request_size,
    async () =>
      (await deps.dataplane.modelMetadata(params.name as string, params.version)).inputs ?? [],
  );
}

async function infer(context: Context): Promise<Response> {
  const inference = await readInference(context);
  const call = callOf(context);
  const response = await context.deps.dataplane.infer(inference.request, call);
  context.requestId = inference.request.id;
  const written = writeInferenceResponse(response, inference, context.options);
  const meter = call.meter;
  if (meter === undefined) return written;
  // One clock reading: the encoding's end is also the request's (see app.ts).
  const now = performance.now();
  context.finishedAt = now;
  meter.encoded(now - (call.answeredAt ?? now));
  return written;
}

async function inferStream(context: Context): Promise<Response> {
  const { request } = await readInference(context);
  const responses = context.deps.dataplane.inferStream(once(request), callOf(context));
  const { method, url } = context.request;
  return await sseResponse(responses, context.options, context.log, `${method} ${url}`);
}

async function* once(request: InferenceRequest): AsyncGenerator<InferenceRequest> {
  yield request;
}

async function repositoryIndex({ request, deps, options }: Context): Promise<Response> {
  const body = await readBody(request, deps.settings.max_request_size);
  const parsed = body.byteLength === 0 ? {} : parseJson(body);
  const { ready } = parseOrThrow(RepositoryIndexRequestSchema, parsed, "Invalid index request");
  return json(await deps.repository.index(ready ?? false), 200, options);
}

/** Triton's statistics extension: every ready model, one name, or one version. */
function statistics(context: Context): Response {
  const { params, deps, options } = context;
  const stats = deps.dataplane.modelStatistics(params.name, params.version);
  return json({ model_stats: stats }, 200, options);
}

/** Every REST route. Inference comes first: it is the hot path. */
export const ROUTES: readonly Route<Handler>[] = [
  { method: "POST", pattern: `${MODEL}/infer`, handler: infer },
  { method: "POST", pattern: `${MODEL}/generate`, handler: infer },
  { method: "POST", pattern: `${MODEL}/infer_stream`, handler: inferStream },
  { method: "POST", pattern: `${MODEL}/generate_stream`, handler: inferStream },
  {
    method: "GET",
    pattern: "/v2/health/live",
    handler: ({ deps, options }) => empty(deps.dataplane.live() ? 200 : 400, options),
  },
  {
    method: "GET",
    pattern: "/v2/health/ready",
    handler: ({ deps, options }) => empty(deps.dataplane.ready() ? 200 : 400, options),
  },
  {
    method: "GET",
    pattern: "/v2",
    handler: ({ deps, options }) => json(deps.dataplane.metadata(), 200, options),
  },
  { method: "GET", pattern: "/v2/models/stats", handler: statistics },
  { method: "GET", pattern: `${MODEL}/stats`, handler: statistics },
  { method: "GET", pattern: "/v2/docs", handler: docsPage },
  { method: "GET", pattern: "/v2/docs/dataplane.json", handler: docsDocument },
  { method: "GET", pattern: "/v2/docs/assets/:file", handler: docsAsset },
  { method: "GET", pattern: `${MODEL}/docs`, handler: docsPage },
  { method: "GET", pattern: `${MODEL}/docs/dataplane.json`, handler: docsDocument },
  {
    method: "GET",
    pattern: `${MODEL}/ready`,
    handler: (context) =>
      empty(
        context.deps.dataplane.modelReady(modelName(context), context.params.version) ? 200 : 400,
        context.options,
      ),
  },
  {
    method: "GET",
    pattern: MODEL,
    handler: async (context) =>
      json(
        await context.deps.dataplane.modelMetadata(modelName(context), context.params.version),
        200,
        context.options,
      ),
  },
  { method: "POST", pattern: "/v2/repository/index", handler: repositoryIndex },
  {
    method: "POST",
    pattern: "/v2/repository/models/:name/load",
    handler: async (context) => {
      await context.deps.repository.load(modelName(context), context.request.signal);
      return empty(200, context.options);
    },
  },
  {
    method: "POST",
    pattern: "/v2/repository/models/:name/unload",
    handler: async (context) => {
      await context.deps.repository.unload(modelName(context));
      return empty(200, context.options);
    },
  },
];
