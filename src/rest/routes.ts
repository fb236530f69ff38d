/**
 * The REST route table: one entry per endpoint of the Open Inference
 * Protocol and MLServer's extensions, the version being an optional segment.
 *
 * @module
 */

import { messageOf } from "../errors.ts";
import { RepositoryIndexRequestSchema } from "../protocol/schemas.ts";
import type { InferenceRequest } from "../protocol/types.ts";
import { parseOrThrow } from "../protocol/validate.ts";
import type { RestDeps } from "./app.ts";
import { parseJson, readBody } from "./body.ts";
import { encodeJsonResponse } from "../protocol/json_response.ts";
import { readInferenceRequest, takeResponseHeaders, writeInferenceResponse } from "./inference.ts";
import { empty, json, type ResponseOptions } from "./responses.ts";
import type { Params, Route } from "./router.ts";

/** Everything a route handler gets. */
export interface Context {
  request: Request;
  params: Params;
  deps: RestDeps;
  options: ResponseOptions;
}

/** A route handler. */
export type Handler = (context: Context) => Promise<Response> | Response;

const MODEL = "/v2/models/:name{/versions/:version}?";

function modelName(params: Params): string {
  return params.name as string;
}

/** The model's declared inputs, for the raw binary form (header length 0). */
function inputsOf(deps: RestDeps, params: Params) {
  return async () =>
    (await deps.dataplane.modelMetadata(modelName(params), params.version)).inputs ?? [];
}

async function infer({ request, params, deps, options }: Context): Promise<Response> {
  const limit = deps.settings.max_request_size;
  const inference = await readInferenceRequest(request, limit, inputsOf(deps, params));
  const response = await deps.dataplane.infer(inference.request, modelName(params), params.version);
  return writeInferenceResponse(response, inference, options);
}

/**
 * Server-sent events: one `data:` event per response. Errors before the
 * first event are ordinary JSON errors; an error mid-stream ends the stream
 * with an `error` event.
 */
async function inferStream({ request, params, deps, options }: Context): Promise<Response> {
  const { request: inference } = await readInferenceRequest(
    request,
    deps.settings.max_request_size,
    inputsOf(deps, params),
  );
  const responses = deps.dataplane.inferStream(once(inference), modelName(params), params.version);
  const first = await responses.next();
  const encoder = new TextEncoder();
  const event = (text: string, name?: string): Uint8Array =>
    encoder.encode(`${name === undefined ? "" : `event: ${name}\n`}data: ${text}\n\n`);
  let pending: IteratorResult<unknown> | undefined = first;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = pending ?? await responses.next();
        pending = undefined;
        if (next.done) return controller.close();
        const response = next.value as Parameters<typeof encodeJsonResponse>[0];
        takeResponseHeaders(response, undefined);
        controller.enqueue(event(encodeJsonResponse(response)));
      } catch (err) {
        deps.logger.child("rest").warning(
          `Stream on model ${params.name} failed: ${messageOf(err)}`,
        );
        controller.enqueue(event(JSON.stringify({ error: messageOf(err) }), "error"));
        controller.close();
      }
    },
    async cancel() {
      await responses.return(undefined);
    },
  });
  const headers = new Headers(options.headers);
  headers.set("content-type", "text/event-stream");
  headers.set("cache-control", "no-cache");
  return new Response(stream, { status: 200, headers });
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
  {
    method: "GET",
    pattern: `${MODEL}/ready`,
    handler: ({ params, deps, options }) =>
      empty(deps.dataplane.modelReady(modelName(params), params.version) ? 200 : 400, options),
  },
  {
    method: "GET",
    pattern: MODEL,
    handler: async ({ params, deps, options }) =>
      json(await deps.dataplane.modelMetadata(modelName(params), params.version), 200, options),
  },
  { method: "POST", pattern: "/v2/repository/index", handler: repositoryIndex },
  {
    method: "POST",
    pattern: "/v2/repository/models/:name/load",
    handler: async ({ params, deps, options }) => {
      await deps.repository.load(modelName(params));
      return empty(200, options);
    },
  },
  {
    method: "POST",
    pattern: "/v2/repository/models/:name/unload",
    handler: async ({ params, deps, options }) => {
      await deps.repository.unload(modelName(params));
      return empty(200, options);
    },
  },
];
