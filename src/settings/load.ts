/**
 * Builds settings from their sources, once, at the edge. Precedence, highest
 * first: command-line flags > the file > the environment > derived defaults
 * (a model's folder name and folder) > built-in defaults. The environment only
 * fills what a file leaves out, which is how ModelMesh's generated
 * `model-settings.json` (name and uri only) gets its implementation.
 *
 * @module
 */

import { basename, delimiter, dirname, join, resolve } from "node:path";
import type { z } from "zod";
import { clip, InvalidSettingsError } from "../errors.ts";
import { formatPath } from "../protocol/schemas.ts";
import type { Logger } from "../logging.ts";
import { indexEnv, readEnvFields } from "./env.ts";
import {
  ModelParametersSchema,
  type ModelSettings,
  ModelSettingsSchema,
} from "./model_settings.ts";
import {
  type ServerSettings,
  type ServerSettingsInput,
  ServerSettingsSchema,
} from "./server_settings.ts";

/** Name of the server settings file inside the models folder. */
export const SERVER_SETTINGS_FILE = "settings.json";
/** Name of a model's settings file. */
export const MODEL_SETTINGS_FILE = "model-settings.json";

/** Where server settings come from. */
export interface ServerSettingsSources {
  /** Folder whose `settings.json` is read, when it exists. */
  folder?: string;
  /** Process environment. */
  env: Readonly<Record<string, string>>;
  /** Values from command-line flags (highest precedence). */
  flags?: ServerSettingsInput;
  /** Receives a debug line per ignored key. */
  logger?: Logger;
}

/**
 * Loads server settings.
 *
 * @throws {InvalidSettingsError} naming the file or variable, key and problem
 */
export async function loadServerSettings(sources: ServerSettingsSources): Promise<ServerSettings> {
  const env = indexEnv(sources.env);
  const fromEnv = readEnvFields(ServerSettingsSchema.shape, env, "MLSERVER_");
  let file: Record<string, unknown> = {};
  let filePath: string | undefined;
  if (sources.folder !== undefined) {
    filePath = join(sources.folder, SERVER_SETTINGS_FILE);
    file = await readJsonObject(filePath) ?? {};
    if (Object.keys(file).length === 0) filePath = undefined;
    logUnknownKeys(file, ServerSettingsSchema.shape, filePath, sources.logger);
  }
  const flags = sources.flags ?? {};
  const origins: Record<string, string> = { ...fromEnv.origins };
  for (const key of Object.keys(file)) origins[key] = `file ${filePath}`;
  for (const key of Object.keys(flags)) origins[key] = "command line";
  const merged = { ...fromEnv.values, ...file, ...flags };
  const fileOrigin = filePath === undefined ? {} : { file: filePath };
  return Object.freeze(
    parseSettings(ServerSettingsSchema, merged, {
      keys: origins,
      envPrefix: "MLSERVER_",
      ...fileOrigin,
    }),
  );
}

/**
 * What the environment says about models, read once at startup: the
 * `MLSERVER_MODEL_*` values, which fill what each settings file leaves out,
 * and the folders of `MLSERVER_MODULE_PATH`.
 */
export interface ModelSources {
  /** `MLSERVER_MODEL_*` fields (top-level and `parameters`) and their variables. */
  readonly defaults: ModelDefaults;
  /** `MLSERVER_MODULE_PATH`'s folders, in order. */
  readonly modulePath: readonly string[];
}

/** `MLSERVER_MODEL_*` values by field, with the variable each came from. */
export interface ModelDefaults {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly origins: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly parameterOrigins: Readonly<Record<string, string>>;
  /** Whether `MLSERVER_MODEL_IMPLEMENTATION` is set (the environment-only model exists). */
  readonly describesModel: boolean;
}

/** Model sources of an empty environment (tests, library use). */
export const NO_MODEL_SOURCES: ModelSources = Object.freeze({
  defaults: Object.freeze({
    fields: {},
    origins: {},
    parameters: {},
    parameterOrigins: {},
    describesModel: false,
  }),
  modulePath: [],
});

/**
 * Reads the model-related environment once.
 *
 * @throws {InvalidSettingsError} naming a variable whose value cannot be read
 */
export function readModelSources(rawEnv: Readonly<Record<string, string>>): ModelSources {
  const env = indexEnv(rawEnv);
  const { parameters: _ignored, ...topShape } = ModelSettingsSchema.shape;
  const top = readEnvFields(topShape, env, "MLSERVER_MODEL_");
  const flat = readEnvFields(ModelParametersSchema.shape, env, "MLSERVER_MODEL_");
  const json = readEnvFields(
    { parameters: ModelSettingsSchema.shape.parameters },
    env,
    "MLSERVER_MODEL_",
  );
  const jsonParameters = json.values.parameters;
  const defaults: ModelDefaults = Object.freeze({
    fields: top.values,
    origins: top.origins,
    parameters: { ...(isPlainObject(jsonParameters) ? jsonParameters : {}), ...flat.values },
    parameterOrigins: { ...json.origins, ...flat.origins },
    describesModel: env.has("MLSERVER_MODEL_IMPLEMENTATION"),
  });
  const modulePath = (env.get("MLSERVER_MODULE_PATH") ?? "").split(delimiter).filter((p) =>
    p !== ""
  );
  return Object.freeze({ defaults, modulePath: Object.freeze(modulePath) });
}

/** Options for reading model settings. */
export interface ModelSettingsOptions {
  /** Values that fill what a file leaves out (`readModelSources`). */
  defaults: ModelDefaults;
  /** Receives a debug line per ignored key. */
  logger?: Logger;
}

/**
 * Loads one `model-settings.json`. A missing `name` becomes the folder's
 * name, a missing `parameters.uri` the folder itself.
 *
 * @param path the settings file
 * @throws {InvalidSettingsError} naming the file, key and problem
 */
export async function loadModelSettingsFile(
  path: string,
  options: ModelSettingsOptions,
): Promise<ModelSettings> {
  const source = resolve(path);
  const file = await readJsonObject(source);
  if (file === undefined) throw new InvalidSettingsError(`Cannot read ${path}: file not found`);
  logUnknownKeys(file, ModelSettingsSchema.shape, path, options.logger);
  const folder = dirname(source);
  const fileParameters = file.parameters;
  if (fileParameters !== undefined && !isPlainObject(fileParameters)) {
    throw new InvalidSettingsError(`Invalid settings in ${path}: parameters: expected an object`);
  }
  const derived = { name: basename(folder), parameters: { uri: folder } };
  const settings = mergeModelSources(derived, file, path, options.defaults);
  return Object.freeze({ ...settings, _source: source });
}

/**
 * Builds the one model MLServer makes from the environment alone when no
 * settings file exists (`MLSERVER_MODEL_NAME`, `MLSERVER_MODEL_IMPLEMENTATION`,
 * `MLSERVER_MODEL_URI`...). Returns undefined when the environment names no
 * implementation.
 *
 * @throws {InvalidSettingsError} when the environment names one but is invalid
 */
export function environmentModel(defaults: ModelDefaults): ModelSettings | undefined {
  if (!defaults.describesModel) return undefined;
  return Object.freeze(mergeModelSources({ parameters: {} }, {}, undefined, defaults));
}

function mergeModelSources(
  derived: { name?: string; parameters: Record<string, unknown> },
  file: Record<string, unknown>,
  filePath: string | undefined,
  defaults: ModelDefaults,
): z.output<typeof ModelSettingsSchema> {
  const parameters = {
    ...derived.parameters,
    ...defaults.parameters,
    ...(file.parameters as Record<string, unknown> | undefined),
  };
  const fileOrigin = `file ${filePath}`;
  const origins: Record<string, string> = { ...defaults.origins };
  for (const key of Object.keys(file)) origins[key] = fileOrigin;
  const merged = { ...derived, ...defaults.fields, ...file, parameters };
  const parameterOrigins: Record<string, string> = { ...defaults.parameterOrigins };
  for (const key of Object.keys((file.parameters ?? {}) as object)) {
    parameterOrigins[key] = fileOrigin;
  }
  return parseSettings(ModelSettingsSchema, merged, {
    keys: origins,
    parameters: parameterOrigins,
    envPrefix: "MLSERVER_MODEL_",
    ...(filePath === undefined ? {} : { file: filePath }),
  });
}

/** Where each key of a merged settings object came from, for error messages. */
interface Origins {
  /** Origin per top-level key. */
  keys: Record<string, string>;
  /** Origin per `parameters` key (model settings only). */
  parameters?: Record<string, string>;
  /** The file, when there is one: where a missing key could be set. */
  file?: string;
  /** Prefix of the environment variables that could set a missing key. */
  envPrefix: string;
}

function parseSettings<S extends z.ZodType>(
  schema: S,
  value: unknown,
  origins: Origins,
): z.output<S> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const [key, sub] = issue.path;
    const path = formatPath(issue.path);
    if (issue.code === "invalid_type" && issue.input === undefined) {
      const variable = `${origins.envPrefix}${String(issue.path.at(-1))}`.toUpperCase();
      const places = origins.file === undefined ? variable : `${origins.file} or ${variable}`;
      return `${path}: required but missing (set it in ${places})`;
    }
    const origin = key === "parameters" && typeof sub === "string"
      ? origins.parameters?.[sub]
      : origins.keys[String(key)];
    return `${path} (from ${origin ?? "defaults"}): ${describeIssue(issue)}`;
  });
  throw new InvalidSettingsError(`Invalid settings: ${lines.join("; ")}`);
}

async function readJsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new InvalidSettingsError(`Cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidSettingsError(`Cannot parse ${path}: ${(err as Error).message}`);
  }
  if (!isPlainObject(value)) {
    throw new InvalidSettingsError(`Invalid settings in ${path}: expected a JSON object`);
  }
  return value;
}

/** A JSON object (not null, not a list). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function logUnknownKeys(
  file: Record<string, unknown>,
  shape: Readonly<Record<string, unknown>>,
  path: string | undefined,
  logger: Logger | undefined,
): void {
  if (logger === undefined || !logger.enabled("debug")) return;
  for (const key of Object.keys(file)) {
    if (!(key in shape)) logger.debug(`Ignoring unknown key '${key}' in ${path}`);
  }
}

/** A zod issue in words, naming the value that was given when its type was wrong. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code !== "invalid_type") return issue.message;
  const given = JSON.stringify(issue.input);
  return `expected ${issue.expected}, got ${
    given === undefined ? String(issue.input) : clip(given, 60)
  }`;
}
