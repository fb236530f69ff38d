/**
 * Model settings: the keys of MLServer's `model-settings.json`, plus our
 * per-model limits (`max_concurrency`, `max_queue_size`).
 *
 * @module
 */

import { z } from "zod";
import { InvalidSettingsError } from "../errors.ts";
import { formatIssues, MetadataTensorSchema } from "../protocol/schemas.ts";

/** Accepts `"1"` or `1` and keeps the string: versions are names, not numbers. */
const versionName = z.union([z.string(), z.number()]).transform(String);

/**
 * `parameters`: known keys are typed, any other key is kept for the runtime.
 */
export const ModelParametersSchema = z.looseObject({
  uri: z.string().optional(),
  version: versionName.optional(),
  format: z.string().optional(),
  content_type: z.string().optional(),
  environment_path: z.string().optional(),
  environment_tarball: z.string().optional(),
  inference_pool_gid: z.string().optional(),
  extra: z.record(z.string(), z.unknown()).default({}),
});

/** `model-settings.json`, with every default. */
export const ModelSettingsSchema = z.object({
  name: z.string().min(1),
  implementation: z.string().min(1),
  platform: z.string().default(""),
  versions: z.array(z.string()).default([]),
  inputs: z.array(MetadataTensorSchema).default([]),
  outputs: z.array(MetadataTensorSchema).default([]),
  parallel_workers: z.number().int().nullable().optional(),
  warm_workers: z.boolean().default(false),
  max_batch_size: z.number().int().nonnegative().default(0),
  max_batch_time: z.number().nonnegative().default(0),
  cache_enabled: z.boolean().default(false),
  /** Requests one model runs at once; the rest wait in its queue. */
  max_concurrency: z.number().int().positive().optional(),
  /** Requests that may wait for a slot; past this, 503. Unbounded when unset. */
  max_queue_size: z.number().int().nonnegative().optional(),
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
  implementation: z.string().default(""),
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
export type ModelSettingsLike = z.input<typeof ModelSettingsLikeSchema> & { _source?: string };

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
