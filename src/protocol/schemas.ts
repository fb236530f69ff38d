/**
 * The zod schema of the repository index request, and the formatting of zod
 * issues (used by settings too).
 * The inference request envelope, which is on the hot path, has its own
 * checker (`envelope.ts`).
 *
 * @module
 */

import { z } from "zod";
import { MAX_PROBLEMS } from "./envelope.ts";

/** Body of `POST /v2/repository/index`. */
export const RepositoryIndexRequestSchema = z.object({
  ready: z.boolean().optional(),
});

/**
 * One line per zod issue, `path: message`, with the path written the way a
 * user finds it in the JSON (`inputs[0].shape`).
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const more = issues.length - MAX_PROBLEMS;
  const listed = issues.slice(0, MAX_PROBLEMS).map((issue) => {
    const path = formatPath(issue.path);
    const message = issue.code === "invalid_type" && issue.input === undefined
      ? "required but missing"
      : issue.message;
    return path === "" ? message : `${path}: ${message}`;
  }).join("; ");
  return more > 0 ? `${listed}; and ${more} more problem(s)` : listed;
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
