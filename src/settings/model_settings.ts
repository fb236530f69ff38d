/**
 * Model settings: the keys of MLServer's `model-settings.json`, plus our
 * per-model limits (`max_concurrency`, `max_queue_size`).
 *
 * @module
 */

import { z } from "zod";
import { InvalidSettingsError } from "../errors.ts";
import { DATATYPES, MAX_DIMENSIONS } from "../protocol/datatypes.ts";
import { MAX_NAME_LENGTH } from "../protocol/envelope.ts";
import { formatIssues } from "../protocol/schemas.ts";
import { lax } from "./lax.ts";

const text = () => lax(z.string());

/** Metadata of one tensor, as a model's settings declare its inputs and outputs. */
export const MetadataTensorSchema = z.object({
  name: lax(z.string().max(MAX_NAME_LENGTH)),
  datatype: z.enum(DATATYPES),
  shape: z.array(lax(z.number().int().min(-1))).max(MAX_DIMENSIONS),
  parameters: z.looseObject({ content_type: text().optional() }).optional(),
});

/**
 * `parameters`: known keys are typed, any other key is kept for the runtime.
 */
export const ModelParametersSchema = z.looseObject({
  uri: text().optional(),
  /** A name, not a number: `"version": 1` is the version "1". */
  version: text().optional(),
  format: text().optional(),
  content_type: text().optional(),
  environment_path: text().optional(),
  environment_tarball: text().optional(),
  inference_pool_gid: text().optional(),
  extra: z.record(z.string(), z.unknown()).default({}),
});

/** `model-settings.json`, with every default. */
export const ModelSettingsSchema = z.object({
  name: lax(z.string().min(1)),
  implementation: lax(z.string().min(1)),
  platform: text().default(""),
  versions: z.array(text()).default([]),
  inputs: z.array(MetadataTensorSchema).default([]),
  outputs: z.array(MetadataTensorSchema).default([]),
  parallel_workers: lax(z.number().int()).nullable().optional(),
  warm_workers: lax(z.boolean()).default(false),
  max_batch_size: lax(z.number().int().nonnegative()).default(0),
  max_batch_time: lax(z.number().nonnegative()).default(0),
  cache_enabled: lax(z.boolean()).default(false),
  /** Requests one model runs at once; the rest wait in its queue. */
  max_concurrency: lax(z.number().int().positive()).optional(),
  /** Requests that may wait for a slot; past this, 503. Unbounded when unset. */
  max_queue_size: lax(z.number().int().nonnegative()).optional(),
  parameters: ModelParametersSchema.default({ extra: {} }),
});

/**
 * Model parameters with every default applied; keys a runtime needs live in `extra` (or any other key).
 *
 * @example Read a runtime option
 * ```ts
 * import { MLModel, type InferenceResponse, type ModelParameters, resolveModelSettings } from "mlserver";
 * class Tuned extends MLModel {
 *   predict(): Promise<InferenceResponse> {
 *     const parameters: ModelParameters = this.settings.parameters;
 *     return Promise.resolve({ model_name: this.name, parameters: { threshold: parameters.extra.threshold ?? 0.5 }, outputs: [] });
 *   }
 * }
 * const out = await new Tuned(resolveModelSettings({ name: "t", parameters: { extra: { threshold: 0.7 } } })).predict();
 * console.assert(out.parameters?.threshold === 0.7);
 * ```
 */
export type ModelParameters = z.output<typeof ModelParametersSchema>;

/** Model settings as written in `model-settings.json` (mostly optional). */
export type ModelSettingsInput = z.input<typeof ModelSettingsSchema>;

/**
 * Model settings with every default applied, plus where they came from:
 * `_source` is the settings file (as in MLServer), absent for a model built
 * from the environment alone.
 *
 * @example What a runtime reads from its settings
 * ```ts
 * import { MLModel, type InferenceResponse, type ModelSettings, resolveModelSettings } from "mlserver";
 * class Named extends MLModel {
 *   predict(): Promise<InferenceResponse> {
 *     const settings: ModelSettings = this.settings;
 *     return Promise.resolve({ model_name: settings.name, model_version: settings.parameters.version, outputs: [] });
 *   }
 * }
 * const out = await new Named(resolveModelSettings({ name: "n", parameters: { version: "2" } })).predict();
 * console.assert(out.model_version === "2");
 * ```
 */
export type ModelSettings = Readonly<z.output<typeof ModelSettingsSchema>> & {
  readonly _source?: string;
};

/** What a hand-built model needs: `name`; `implementation` may be left out. */
const ModelSettingsLikeSchema = ModelSettingsSchema.extend({
  implementation: text().default(""),
});

/**
 * Model settings as a test or a script writes them: a name, and whatever
 * else it cares about.
 *
 * @example The least there is
 * ```ts
 * import type { ModelSettingsLike } from "mlserver";
 * const settings: ModelSettingsLike = { name: "echo", parameters: { uri: "/models/echo" } };
 * console.assert(settings.implementation === undefined);
 * ```
 */
export type ModelSettingsLike = Omit<z.input<typeof ModelSettingsLikeSchema>, "name"> & {
  name: string;
  _source?: string;
};

/**
 * Fills in every default of a partial settings object, by the same schema
 * the server reads `model-settings.json` with: how tests and scripts build
 * a model by hand.
 *
 * @example Build a model in a test
 * ```ts
 * import { type InferenceResponse, MLModel, resolveModelSettings } from "mlserver";
 * class Echo extends MLModel {
 *   predict(): Promise<InferenceResponse> {
 *     return Promise.resolve({ model_name: this.name, outputs: [] });
 *   }
 * }
 * const model = new Echo(resolveModelSettings({ name: "echo", parameters: { uri: "/models/echo" } }));
 * console.assert(model.settings.max_batch_size === 0 && model.settings.parameters.uri === "/models/echo");
 * ```
 *
 * @throws {InvalidSettingsError} naming each invalid key
 */
export function resolveModelSettings(settings: ModelSettingsLike): ModelSettings {
  const parsed = ModelSettingsLikeSchema.safeParse(settings, { reportInput: true });
  if (!parsed.success) {
    throw new InvalidSettingsError(`Invalid model settings: ${formatIssues(parsed.error.issues)}`);
  }
  const { _source } = settings;
  return Object.freeze(_source === undefined ? parsed.data : { ...parsed.data, _source });
}
