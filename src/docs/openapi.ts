/**
 * The OpenAPI 3 document of our REST API, built from a table of endpoints
 * (each model endpoint once, its `/versions/{model_version}` form derived),
 * and the per-model document: the model endpoints only, with the model's
 * name fixed and its declared inputs and outputs as the request example
 * and the response description.
 *
 * @module
 */

import { elementCount } from "../protocol/datatypes.ts";
import type { MetadataTensor, ModelMetadata } from "../protocol/types.ts";
import { COMPONENTS } from "./schemas.ts";

interface Endpoint {
  method: "get" | "post";
  /** Under `/v2/models/{model_name}` when `model` is set, else the full path. */
  path: string;
  model?: boolean;
  summary: string;
  tag: string;
  /** A `components.schemas` name of the JSON request body. */
  body?: string;
  /** A `components.schemas` name of the 200 answer; none for an empty answer. */
  answer?: string;
  /** Another media type of the 200 answer. */
  media?: string;
}

const ENDPOINTS: readonly Endpoint[] = [
  { method: "get", path: "/v2/health/live", summary: "Server live", tag: "health" },
  { method: "get", path: "/v2/health/ready", summary: "Server ready", tag: "health" },
  {
    method: "get",
    path: "/v2",
    summary: "Server metadata",
    tag: "metadata",
    answer: "ServerMetadata",
  },
  {
    method: "get",
    path: "",
    model: true,
    summary: "Model metadata",
    tag: "metadata",
    answer: "ModelMetadata",
  },
  { method: "get", path: "/ready", model: true, summary: "Model ready", tag: "health" },
  {
    method: "post",
    path: "/infer",
    model: true,
    summary: "Model infer",
    tag: "inference",
    body: "InferenceRequest",
    answer: "InferenceResponse",
  },
  {
    method: "post",
    path: "/generate",
    model: true,
    summary: "Model generate (alias of infer)",
    tag: "inference",
    body: "InferenceRequest",
    answer: "InferenceResponse",
  },
  {
    method: "post",
    path: "/infer_stream",
    model: true,
    summary: "Model infer, answers as server-sent events",
    tag: "inference",
    body: "InferenceRequest",
    media: "text/event-stream",
  },
  {
    method: "post",
    path: "/generate_stream",
    model: true,
    summary: "Model generate stream (alias of infer_stream)",
    tag: "inference",
    body: "InferenceRequest",
    media: "text/event-stream",
  },
  {
    method: "get",
    path: "/stats",
    model: true,
    summary: "Model statistics (Triton's statistics extension)",
    tag: "statistics",
    answer: "ModelStatisticsResponse",
  },
  {
    method: "get",
    path: "/v2/models/stats",
    summary: "Statistics of every ready model",
    tag: "statistics",
    answer: "ModelStatisticsResponse",
  },
  {
    method: "post",
    path: "/v2/repository/index",
    summary: "Repository index",
    tag: "model repository",
    body: "RepositoryIndexRequest",
    answer: "RepositoryIndexResponse",
  },
  {
    method: "post",
    path: "/v2/repository/models/{model_name}/load",
    summary: "Load (or reload) a model",
    tag: "model repository",
  },
  {
    method: "post",
    path: "/v2/repository/models/{model_name}/unload",
    summary: "Unload every version of a model",
    tag: "model repository",
  },
  { method: "get", path: "/v2/docs", summary: "This page", tag: "docs", media: "text/html" },
  {
    method: "get",
    path: "/v2/docs/dataplane.json",
    summary: "This document",
    tag: "docs",
    media: "application/json",
  },
  {
    method: "get",
    path: "/docs",
    model: true,
    summary: "The model's API page",
    tag: "docs",
    media: "text/html",
  },
  {
    method: "get",
    path: "/docs/dataplane.json",
    model: true,
    summary: "The model's API document",
    tag: "docs",
    media: "application/json",
  },
];

const MODEL_NAME = { name: "model_name", in: "path", required: true, schema: { type: "string" } };
const MODEL_VERSION = {
  name: "model_version",
  in: "path",
  required: true,
  schema: { type: "string" },
};

const ERROR = {
  description: "Error",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};

const GENERIC_EXAMPLE = {
  inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }],
};

type Operation = Record<string, unknown>;

function operation(endpoint: Endpoint, example: unknown, parameters: unknown[]): Operation {
  const ok: Record<string, unknown> = { description: "OK" };
  if (endpoint.answer !== undefined) {
    ok.content = {
      "application/json": { schema: { $ref: `#/components/schemas/${endpoint.answer}` } },
    };
  } else if (endpoint.media !== undefined) {
    ok.content = { [endpoint.media]: { schema: { type: "string" } } };
  }
  const op: Operation = {
    tags: [endpoint.tag],
    summary: endpoint.summary,
    operationId: `${endpoint.method}${endpoint.path.replace(/[^A-Za-z0-9]+/g, "_")}` +
      (endpoint.model === true ? "_model" : ""),
    responses: { "200": ok, "400": ERROR, "404": ERROR, "500": ERROR },
  };
  if (parameters.length > 0) op.parameters = parameters;
  if (endpoint.body !== undefined) {
    op.requestBody = {
      required: endpoint.body === "InferenceRequest",
      content: {
        "application/json": {
          schema: { $ref: `#/components/schemas/${endpoint.body}` },
          ...(endpoint.body === "InferenceRequest" ? { example } : {}),
        },
      },
    };
  }
  return op;
}

function pathParameters(path: string): unknown[] {
  const out: unknown[] = [];
  if (path.includes("{model_name}")) out.push(MODEL_NAME);
  if (path.includes("{model_version}")) out.push(MODEL_VERSION);
  return out;
}

/** The OpenAPI document of the REST API, its server at `rootPath` ("" for the root). */
export function dataplaneDocument(rootPath: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  const put = (path: string, method: string, op: Operation): void => {
    (paths[path] ??= {})[method] = op;
  };
  for (const endpoint of ENDPOINTS) {
    if (endpoint.model !== true) {
      put(
        endpoint.path,
        endpoint.method,
        operation(endpoint, GENERIC_EXAMPLE, pathParameters(endpoint.path)),
      );
      continue;
    }
    for (
      const base of ["/v2/models/{model_name}", "/v2/models/{model_name}/versions/{model_version}"]
    ) {
      const path = base + endpoint.path;
      const op = operation(endpoint, GENERIC_EXAMPLE, pathParameters(path));
      if (base.includes("versions")) op.operationId = `${op.operationId}_version`;
      put(path, endpoint.method, op);
    }
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "Data Plane",
      version,
      description:
        "The Open Inference Protocol (V2) REST API, with MLServer's and Triton's extensions.",
    },
    servers: [{ url: rootPath === "" ? "/" : rootPath }],
    paths,
    components: COMPONENTS,
  };
}

/** The most elements an example input spells out (a page, not a tensor a model declares). */
const MAX_EXAMPLE_ELEMENTS = 10_000;

/**
 * An example request built from the model's declared inputs (variable
 * dimensions as 1); the generic example when they declare none, or more
 * elements than a page should hold.
 */
export function exampleRequest(inputs: readonly MetadataTensor[]): unknown {
  if (inputs.length === 0) return GENERIC_EXAMPLE;
  const shapes = inputs.map((input) => input.shape.map((d) => (d < 0 ? 1 : d)));
  const counts = shapes.map(elementCount);
  if (counts.some((count) => count < 0 || count > MAX_EXAMPLE_ELEMENTS)) return GENERIC_EXAMPLE;
  return {
    inputs: inputs.map((input, i) => {
      const shape = shapes[i]!;
      const count = counts[i]!;
      const value = input.datatype === "BYTES" ? "" : input.datatype === "BOOL" ? false : 0;
      return {
        name: input.name,
        datatype: input.datatype,
        shape,
        data: new Array(count).fill(value),
      };
    }),
  };
}

/** The OpenAPI document of one model's endpoints. */
export function modelDocument(
  metadata: ModelMetadata,
  options: { version?: string | undefined; rootPath: string; serverVersion: string },
): Record<string, unknown> {
  const name = encodeURIComponent(metadata.name);
  const base = `/v2/models/${name}` +
    (options.version === undefined ? "" : `/versions/${encodeURIComponent(options.version)}`);
  const example = exampleRequest(metadata.inputs ?? []);
  const outputs = (metadata.outputs ?? []).map(describe).join(", ");
  const paths: Record<string, Record<string, Operation>> = {};
  for (const endpoint of ENDPOINTS.filter((e) => e.model === true)) {
    const op = operation(endpoint, example, []);
    if (endpoint.answer === "InferenceResponse" && outputs !== "") {
      (op.responses as Record<string, Record<string, unknown>>)["200"]!.description =
        `OK: outputs ${outputs}`;
    }
    (paths[base + endpoint.path] ??= {})[endpoint.method] = op;
  }
  const inputs = (metadata.inputs ?? []).map(describe).join(", ");
  const title = `Data Plane for Model ${metadata.name}` +
    (options.version === undefined ? "" : ` (${options.version})`);
  return {
    openapi: "3.0.3",
    info: {
      title,
      version: options.serverVersion,
      description: `Platform: ${metadata.platform || "-"}. Inputs: ${inputs || "-"}. Outputs: ${
        outputs || "-"
      }.`,
    },
    servers: [{ url: options.rootPath === "" ? "/" : options.rootPath }],
    paths,
    components: COMPONENTS,
  };
}

function describe(tensor: MetadataTensor): string {
  return `${tensor.name} (${tensor.datatype} [${tensor.shape.join(", ")}])`;
}
