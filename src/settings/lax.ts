/**
 * MLServer's settings are pydantic models validated in lax mode, and real
 * settings files depend on it: MLServer's own examples write
 * `"debug": "true"`. `lax()` gives a zod schema pydantic's conversions, one
 * rule for files and the environment alike:
 * - booleans from `true/false/1/0/yes/no/on/off/t/f/y/n` (any case) and
 *   from the numbers 1 and 0;
 * - numbers from numeric strings and from booleans; integers from integral
 *   floats (`16.0`, `"16.0"`);
 * - strings from numbers (`"version": 1`).
 * What pydantic refuses stays refused, with the schema's own message
 * (`"maybe"` for a boolean, `8.5` for an integer).
 *
 * @module
 */

import { z } from "zod";

const TRUE_WORDS = new Set(["1", "true", "yes", "on", "y", "t"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", "n", "f"]);
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The base type a schema checks, looking through its wrappers. */
function baseType(schema: z.ZodType): string {
  const def = schema.def as { type: string; innerType?: z.ZodType };
  return def.innerType === undefined ? def.type : baseType(def.innerType);
}

function toBoolean(value: unknown): unknown {
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  if (value === 1) return true;
  if (value === 0) return false;
  return value;
}

function toNumber(value: unknown): unknown {
  if (typeof value === "string" && NUMERIC.test(value.trim())) return Number(value.trim());
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

function toText(value: unknown): unknown {
  if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint") {
    return String(value);
  }
  return value;
}

const COERCIONS: Readonly<Record<string, (value: unknown) => unknown>> = {
  boolean: toBoolean,
  number: toNumber,
  string: toText,
};

/**
 * `schema` with pydantic's lax conversions in front of it (for boolean,
 * number and string schemas; any other schema is returned as it is).
 */
export function lax<T extends z.ZodType>(
  schema: T,
): z.ZodType<z.output<T>, z.input<T> | string | number | boolean> {
  const coerce = COERCIONS[baseType(schema)];
  if (coerce === undefined) return schema as unknown as ReturnType<typeof lax<T>>;
  return z.preprocess(coerce, schema) as unknown as z.ZodType<
    z.output<T>,
    z.input<T> | string | number | boolean
  >;
}
