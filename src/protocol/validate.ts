/**
 * The one place zod failures become `InvalidRequestError`s with a readable
 * `path: message` list instead of zod's JSON.
 *
 * @module
 */

import type { z } from "zod";
import { InvalidRequestError } from "../errors.ts";
import { formatIssues } from "./schemas.ts";

/**
 * Parses `value` with `schema`.
 *
 * @param what names the body in the error message (`Invalid inference request`)
 * @throws {InvalidRequestError} listing every problem with its path
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    throw new InvalidRequestError(`${what}: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}
