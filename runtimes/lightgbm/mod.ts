/**
 * The built-in LightGBM runtime, `mlserver_lightgbm.LightGBMModel`: the name
 * MLServer, ModelMesh and KServe use. It serves LightGBM's text model files
 * (found as `model.bst`, MLServer's name, or `model.txt`) and answers as
 * MLServer's LightGBM runtime does: one output `predict` holding what
 * `Booster.predict()` returns, in FP64 (class probabilities `[N, classes]`
 * for a multiclass model, else `[N, 1]`).
 *
 * @module
 */

import {
  getModelUri,
  InferenceError,
  type InferenceRequest,
  type InferenceResponse,
  InvalidRequestError,
  MLModel,
  RuntimeLoadError,
  type Table,
  type Tensor,
} from "mlserver";
import { Booster, type IterationRange } from "./booster.ts";

/** File names tried, in order, when the model's `uri` is a folder. */
export const WELLKNOWN_MODEL_FILENAMES = ["model.bst", "model.txt"];

const PREDICT = "predict";

/** Serves a LightGBM text model file. */
export class LightGBMModel extends MLModel {
  #booster: Booster | undefined;
  #range: IterationRange = {};

  override async load(): Promise<boolean> {
    const uri = await getModelUri(this.settings, { wellknownFilenames: WELLKNOWN_MODEL_FILENAMES });
    const fail = (reason: string, cause?: unknown) =>
      new RuntimeLoadError(`Cannot load LightGBM model ${uri}: ${reason}`, { cause });
    this.#range = iterationRange(this.settings.parameters.extra, fail);
    let text: string;
    try {
      if ((await Deno.stat(uri)).isDirectory) {
        throw fail(`the folder has no ${WELLKNOWN_MODEL_FILENAMES.join(" or ")}`);
      }
      text = new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(uri));
    } catch (err) {
      if (err instanceof RuntimeLoadError) throw err;
      const reason = err instanceof TypeError
        ? "not a text file (LightGBM models are saved as text by booster.save_model())"
        : (err as Error).message;
      throw fail(reason, err);
    }
    try {
      this.#booster = new Booster(text);
    } catch (err) {
      throw fail((err as Error).message, err);
    }
    return true;
  }

  // async: every problem reaches the caller as a rejected promise, never a throw.
  // deno-lint-ignore require-await
  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    const booster = this.#booster;
    if (booster === undefined) throw new InferenceError(`Model '${this.name}' is not loaded`);
    // Like MLServer's runtime, requested outputs are not consulted: the answer is `predict`.
    const decoded = this.decodeRequest(request, "np") as Tensor | Table;
    const { features, rows } = "columns" in decoded
      ? tableMatrix(decoded, booster)
      : tensorMatrix(decoded, booster);
    const data = booster.predict(features, rows, this.#range);
    const response: InferenceResponse = {
      model_name: this.name,
      outputs: [this.encode(PREDICT, { data, shape: [rows, booster.outputsPerRow] }, "np")],
    };
    if (this.version !== undefined) response.model_version = this.version;
    return response;
  }
}

/** `num_iteration` and `start_iteration` from `parameters.extra`, as `Booster.predict()` takes them. */
function iterationRange(
  extra: Record<string, unknown>,
  fail: (reason: string) => Error,
): IterationRange {
  const range: IterationRange = {};
  for (
    const [key, field] of [["num_iteration", "numIteration"], [
      "start_iteration",
      "startIteration",
    ]] as const
  ) {
    const value = extra[key];
    if (value === undefined || value === null) continue;
    const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n)) {
      throw fail(`parameters.extra.${key} must be a whole number, got ${JSON.stringify(value)}`);
    }
    range[field] = n;
  }
  return range;
}

/**
 * A `[N, features]` tensor. Like the Python package, FP32 and FP64 are taken
 * as they are and every other type goes through float32 first.
 */
function tensorMatrix(
  decoded: Tensor,
  booster: Booster,
): { features: Float32Array | Float64Array; rows: number } {
  const { data, shape } = decoded;
  const expected = booster.numFeatures;
  if (shape.length !== 2 || shape[1] !== expected) {
    throw new InvalidRequestError(
      `LightGBMModel expects one input of shape [N, ${expected}], got [${shape}]`,
    );
  }
  if (Array.isArray(data)) {
    throw new InvalidRequestError("LightGBMModel expects a numeric input, got BYTES");
  }
  const features = data instanceof Float32Array || data instanceof Float64Array
    ? data
    : data instanceof BigInt64Array || data instanceof BigUint64Array
    ? Float32Array.from(data, Number)
    : new Float32Array(data as Exclude<typeof data, BigInt64Array | BigUint64Array>);
  return { features, rows: shape[0]! };
}

/**
 * A `pd` table: columns by the model's feature names when every name is a
 * column, in column order (what LightGBM does with a DataFrame) when none
 * is, and a 400 naming the absent ones when only some are. As
 * pandas would, values are float32 when every column fits it, else float64.
 */
function tableMatrix(table: Table, booster: Booster): { features: Float64Array; rows: number } {
  const names = Object.keys(table.columns);
  const missing = booster.featureNames.filter((f) => !(f in table.columns));
  // Some names but not all: the columns were meant by name, and one is wrong.
  if (missing.length > 0 && missing.length < booster.numFeatures) {
    throw new InvalidRequestError(
      `LightGBMModel was trained with features ${booster.featureNames.join(", ")}; ` +
        `the request has no column ${missing.join(", ")}`,
    );
  }
  const order = missing.length === 0 ? booster.featureNames : names;
  if (order.length !== booster.numFeatures) {
    throw new InvalidRequestError(
      `LightGBMModel expects ${booster.numFeatures} columns (${
        booster.featureNames.join(", ")
      }), ` +
        `got ${names.length} (${names.join(", ")})`,
    );
  }
  const columns = order.map((name) => table.columns[name]!);
  const narrow = columns.every((c) =>
    c instanceof Float32Array || c instanceof Float16Array || c instanceof Int8Array ||
    c instanceof Uint8Array || c instanceof Int16Array || c instanceof Uint16Array
  );
  const width = order.length;
  const features = new Float64Array(table.rows * width);
  for (let r = 0; r < table.rows; r++) {
    for (let f = 0; f < width; f++) {
      const value = (columns[f] as ArrayLike<unknown>)[r];
      if (typeof value !== "number" && typeof value !== "bigint" && value !== null) {
        throw new InvalidRequestError(
          `LightGBMModel expects numeric columns; '${order[f]}' is not`,
        );
      }
      const n = value === null ? NaN : Number(value);
      features[r * width + f] = narrow ? Math.fround(n) : n;
    }
  }
  return { features, rows: table.rows };
}
