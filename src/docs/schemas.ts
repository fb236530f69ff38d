/**
 * The `components.schemas` of our OpenAPI document: the V2 JSON shapes as
 * this server accepts and answers them (`src/protocol/`), the repository
 * index and Triton's statistics.
 *
 * @module
 */

import { DATATYPES } from "../protocol/datatypes.ts";
import { MODEL_STATES } from "../protocol/types.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const duration = ref("StatisticDuration");

/** A request's input and a response's output have the same JSON shape. */
const TENSOR = {
  type: "object",
  required: ["name", "shape", "datatype", "data"],
  properties: {
    name: { type: "string" },
    shape: { type: "array", items: { type: "integer" } },
    datatype: ref("Datatype"),
    parameters: ref("Parameters"),
    data: ref("TensorData"),
  },
};

/** Schemas shared by the whole and the per-model documents. */
export const COMPONENTS: Readonly<Record<string, unknown>> = Object.freeze({
  schemas: {
    Error: { type: "object", properties: { error: { type: "string" } }, required: ["error"] },
    Parameters: {
      type: "object",
      additionalProperties: true,
      properties: { content_type: { type: "string" }, headers: { type: "object" } },
    },
    Datatype: { type: "string", enum: DATATYPES },
    TensorData: {
      description: "Row-major values, flat or nested",
      type: "array",
      items: {},
    },
    RequestInput: TENSOR,
    RequestOutput: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string" }, parameters: ref("Parameters") },
    },
    InferenceRequest: {
      type: "object",
      required: ["inputs"],
      properties: {
        id: { type: "string" },
        parameters: ref("Parameters"),
        inputs: { type: "array", items: ref("RequestInput") },
        outputs: { type: "array", items: ref("RequestOutput") },
      },
    },
    ResponseOutput: TENSOR,
    InferenceResponse: {
      type: "object",
      required: ["model_name", "outputs"],
      properties: {
        model_name: { type: "string" },
        model_version: { type: "string" },
        id: { type: "string" },
        parameters: ref("Parameters"),
        outputs: { type: "array", items: ref("ResponseOutput") },
      },
    },
    MetadataTensor: {
      type: "object",
      required: ["name", "datatype", "shape"],
      properties: {
        name: { type: "string" },
        datatype: ref("Datatype"),
        shape: { type: "array", items: { type: "integer" } },
        parameters: ref("Parameters"),
      },
    },
    ModelMetadata: {
      type: "object",
      required: ["name", "platform"],
      properties: {
        name: { type: "string" },
        versions: { type: "array", items: { type: "string" } },
        platform: { type: "string" },
        inputs: { type: "array", items: ref("MetadataTensor") },
        outputs: { type: "array", items: ref("MetadataTensor") },
        parameters: ref("Parameters"),
      },
    },
    ServerMetadata: {
      type: "object",
      required: ["name", "version", "extensions"],
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        extensions: { type: "array", items: { type: "string" } },
      },
    },
    RepositoryIndexRequest: { type: "object", properties: { ready: { type: "boolean" } } },
    RepositoryIndexResponse: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          state: {
            type: "string",
            enum: [...MODEL_STATES],
          },
          reason: { type: "string" },
        },
      },
    },
    StatisticDuration: {
      type: "object",
      properties: { count: { type: "integer" }, ns: { type: "integer" } },
    },
    ModelStatistics: {
      type: "object",
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        last_inference: { type: "integer", description: "Milliseconds since the epoch" },
        inference_count: { type: "integer" },
        execution_count: { type: "integer" },
        inference_stats: {
          type: "object",
          properties: Object.fromEntries(
            [
              "success",
              "fail",
              "queue",
              "compute_input",
              "compute_infer",
              "compute_output",
              "cache_hit",
              "cache_miss",
            ].map((key) => [key, duration]),
          ),
        },
        batch_stats: {
          type: "array",
          items: {
            type: "object",
            properties: {
              batch_size: { type: "integer" },
              compute_input: duration,
              compute_infer: duration,
              compute_output: duration,
            },
          },
        },
      },
    },
    ModelStatisticsResponse: {
      type: "object",
      properties: { model_stats: { type: "array", items: ref("ModelStatistics") } },
    },
  },
});
