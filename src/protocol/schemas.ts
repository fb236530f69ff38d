/**
 * zod schemas for the JSON bodies clients send. They check the envelope
 * (names, shapes, datatypes, parameters); tensor `data` is left to
 * `json_tensor.ts`, which checks and decodes it in one pass, because running a
 * schema over a million numbers would cost more than the inference.
 *
 * @module
 */

import { z } from "zod";
import { DATATYPES, MAX_DIMENSIONS } from "./datatypes.ts";

/** Open parameters object; `content_type` must be a string when present. */
export const ParametersSchema = z.looseObject({
  content_type: z.string().optional(),
});

const NAME = z.string().max(1024);

/** One input as JSON: `data` may be absent when sent in binary. */
export const JsonRequestInputSchema = z.object({
  name: NAME,
  shape: z.array(z.number().int().nonnegative()).max(MAX_DIMENSIONS),
  datatype: z.enum(DATATYPES),
  parameters: ParametersSchema.optional(),
  data: z.unknown().optional(),
});

/** A requested output as JSON. */
export const JsonRequestOutputSchema = z.object({
  name: NAME,
  parameters: ParametersSchema.optional(),
});

/** An inference request as JSON, before tensor data is decoded. */
export const JsonInferenceRequestSchema = z.object({
  id: z.string().max(1024).optional(),
  parameters: ParametersSchema.optional(),
  inputs: z.array(JsonRequestInputSchema),
  outputs: z.array(JsonRequestOutputSchema).optional(),
});

/** The JSON inference request envelope. */
export type JsonInferenceRequest = z.infer<typeof JsonInferenceRequestSchema>;
/** One JSON input, before its data is decoded. */
export type JsonRequestInput = z.infer<typeof JsonRequestInputSchema>;

/** Body of `POST /v2/repository/index`. */
export const RepositoryIndexRequestSchema = z.object({
  ready: z.boolean().optional(),
});

/** Metadata of one tensor in settings and metadata answers. */
export const MetadataTensorSchema = z.object({
  name: NAME,
  datatype: z.enum(DATATYPES),
  shape: z.array(z.number().int().min(-1)).max(MAX_DIMENSIONS),
  parameters: ParametersSchema.optional(),
});

/**
 * One line per zod issue, `path: message`, with the path written the way a
 * user finds it in the JSON (`inputs[0].shape`).
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => {
    const path = formatPath(issue.path);
    const message = issue.code === "invalid_type" && issue.input === undefined
      ? "required but missing"
      : issue.message;
    return path === "" ? message : `${path}: ${message}`;
  }).join("; ");
}

/** A zod issue path as written in JSON terms: `inputs[0].shape`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}
