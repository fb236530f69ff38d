/**
 * Reads settings fields from `MLSERVER_*` environment variables. Booleans,
 * numbers and strings are handed to the schema as the strings they are: its
 * lax conversions (`lax.ts`) read them by the same rule as values in files.
 * What only the environment needs is done here: lists and objects are parsed
 * as JSON, and nullable fields take `null`, `none` or an empty value as null.
 * Names are case-insensitive.
 *
 * @module
 */

import type { z } from "zod";
import { InvalidSettingsError } from "../errors.ts";

/** Environment variables with upper-cased names. */
export type EnvIndex = ReadonlyMap<string, string>;

/** Indexes an environment by upper-cased name, so lookups ignore case. */
export function indexEnv(env: Readonly<Record<string, string>>): EnvIndex {
  const index = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) index.set(name.toUpperCase(), value);
  return index;
}

/** Field values found in the environment, and the variable each came from. */
export interface EnvFields {
  values: Record<string, unknown>;
  origins: Record<string, string>;
}

type Kind = "boolean" | "number" | "string" | "json" | "text-or-json";

interface FieldKind {
  kind: Kind;
  nullable: boolean;
}

const NULL_WORDS = new Set(["", "null", "none"]);

/**
 * Reads every field of `shape` from `<prefix><FIELD>` variables.
 *
 * @param shape the zod object shape whose keys are the field names
 * @param env the indexed environment
 * @param prefix e.g. `MLSERVER_` or `MLSERVER_MODEL_`
 * @throws {InvalidSettingsError} naming the variable whose value cannot be read
 */
export function readEnvFields(
  shape: Readonly<Record<string, z.ZodType>>,
  env: EnvIndex,
  prefix: string,
): EnvFields {
  const values: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  for (const [field, schema] of Object.entries(shape)) {
    const variable = `${prefix}${field}`.toUpperCase();
    const raw = env.get(variable);
    if (raw === undefined) continue;
    values[field] = coerce(raw, kindOf(schema), variable);
    origins[field] = `environment variable ${variable}`;
  }
  return { values, origins };
}

function coerce(raw: string, { kind, nullable }: FieldKind, variable: string): unknown {
  const text = raw.trim();
  if (nullable && NULL_WORDS.has(text.toLowerCase())) return null;
  const fail = (expected: string): never => {
    throw new InvalidSettingsError(
      `Invalid environment variable ${variable}: expected ${expected}, got ${JSON.stringify(raw)}`,
    );
  };
  switch (kind) {
    case "boolean":
    case "number":
    case "string":
      return raw;
    case "json":
      try {
        return JSON.parse(text);
      } catch {
        return fail("a JSON value");
      }
    case "text-or-json":
      if (!text.startsWith("{") && !text.startsWith("[")) return raw;
      try {
        return JSON.parse(text);
      } catch {
        return fail("a JSON value");
      }
  }
}

/** What kind of value a field holds, looking through defaults and wrappers. */
function kindOf(schema: z.ZodType): FieldKind {
  let nullable = false;
  let current: z.ZodType | undefined = schema;
  while (current !== undefined) {
    const def = current.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    switch (def.type) {
      case "default":
      case "optional":
      case "prefault":
        current = def.innerType;
        continue;
      case "nullable":
        nullable = true;
        current = def.innerType;
        continue;
      case "pipe": {
        // A lax() field is a pipe from its coercion (a transform) to the schema.
        const pipe = current.def as unknown as { in: z.ZodType; out: z.ZodType };
        current = pipe.in.def.type === "transform" ? pipe.out : pipe.in;
        continue;
      }
      case "boolean":
        return { kind: "boolean", nullable };
      case "number":
        return { kind: "number", nullable };
      case "string":
        return { kind: "string", nullable };
      case "union":
        // Our unions mix a string with a number (a version name) or with an
        // object (a logging config path or the config itself).
        return { kind: unionKind(current), nullable };
      default:
        return { kind: "json", nullable };
    }
  }
  return { kind: "json", nullable };
}

function unionKind(schema: z.ZodType): Kind {
  const options = (schema.def as unknown as { options: z.ZodType[] }).options;
  const kinds = options.map((option) => kindOf(option).kind);
  if (kinds.every((kind) => kind === "string" || kind === "number")) return "string";
  return kinds.includes("string") ? "text-or-json" : "json";
}
