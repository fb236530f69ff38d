/**
 * zod schemas of the small JSON documents: the repository index request and
 * tensor metadata (in settings files), plus the formatting of zod issues.
 * The inference request envelope, which is on the hot path, has its own
 * checker (`envelope.ts`).
 *
 * @module
 */

import { z } from "zod";
import { DATATYPES, MAX_DIMENSIONS } from "./datatypes.ts";
import { MAX_NAME_LENGTH } from "./envelope.ts";

/** Open parameters object; `content_type` must be a string when present. */
export const ParametersSchema = z.looseObject({
  content_type: z.string().optional(),
});

const NAME = z.string().max(MAX_NAME_LENGTH);

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
