/**
 * The built-in XGBoost runtime, `mlserver_xgboost.XGBoostModel`: the name
 * MLServer, ModelMesh and KServe use. It serves models saved by XGBoost as
 * JSON or UBJSON (found as `model.bst`, `model.json` or `model.ubj`) with
 * outputs `predict` and `predict_proba`, as MLServer's XGBoost runtime does
 * through XGBoost's scikit-learn interface.
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
  type RequestOutput,
  RuntimeLoadError,
  type Table,
  type Tensor,
} from "mlserver";
import type { Booster } from "./booster.ts";
import { readBooster } from "./model_file.ts";

/** File names tried, in order, when the model's `uri` is a folder (MLServer's list). */
export const WELLKNOWN_MODEL_FILENAMES = ["model.bst", "model.json", "model.ubj"];

const PREDICT = "predict";
const PREDICT_PROBA = "predict_proba";

/** Serves an XGBoost model file. */
export class XGBoostModel extends MLModel {
  #booster: Booster | undefined;

  override async load(): Promise<boolean> {
    const uri = await getModelUri(this.settings, { wellknownFilenames: WELLKNOWN_MODEL_FILENAMES });
    try {
      this.#booster = await readBooster(uri);
    } catch (err) {
      throw new RuntimeLoadError(`Cannot load XGBoost model ${uri}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return true;
  }

  // async: every problem reaches the caller as a rejected promise, never a throw.
  // deno-lint-ignore require-await
  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    const booster = this.#booster;
    if (booster === undefined) throw new InferenceError(`Model '${this.name}' is not loaded`);
    const requested = requestedOutputs(request.outputs, booster);
    const { features, rows } = featureMatrix(
      this.decodeRequest(request, "np") as Tensor | Table,
      booster,
    );
    const predictions = booster.predict(features, rows);
    const outputs = requested.map((output) =>
      output.name === PREDICT
        ? this.encode(PREDICT, predict(booster, predictions, rows), "np")
        : this.encode(PREDICT_PROBA, predictProba(booster, predictions, rows), "np")
    );
    const response: InferenceResponse = { model_name: this.name, outputs };
    if (this.version !== undefined) response.model_version = this.version;
    return response;
  }
}

function requestedOutputs(outputs: RequestOutput[] | undefined, booster: Booster) {
  if (outputs === undefined || outputs.length === 0) return [{ name: PREDICT }];
  for (const output of outputs) {
    if (output.name !== PREDICT && output.name !== PREDICT_PROBA) {
      throw new InferenceError(
        `XGBoostModel only supports '${PREDICT}' and '${PREDICT_PROBA}' as outputs ` +
          `(${output.name} was received)`,
      );
    }
    if (output.name === PREDICT_PROBA && booster.estimatorType === "regressor") {
      throw new InferenceError(`XGBRegressor models do not support '${PREDICT_PROBA}'`);
    }
    if (output.name === PREDICT_PROBA && booster.objective === "multi:softmax") {
      throw new InferenceError(`multi:softmax models do not support '${PREDICT_PROBA}'`);
    }
  }
  return outputs;
}

/**
 * What XGBoost's scikit-learn `predict()` returns: the predictions of a
 * regressor (float32), a `multi:softmax` classifier's classes (int32, as
 * numpy's `astype(np.int32)` there), else class indexes (int64).
 */
function predict(booster: Booster, predictions: Float32Array, rows: number): Tensor {
  const perRow = booster.outputsPerRow;
  if (booster.estimatorType === "regressor") return { data: predictions, shape: [rows, perRow] };
  if (booster.objective === "multi:softmax") {
    return { data: new Int32Array(predictions), shape: [rows, 1] };
  }
  const labels = new BigInt64Array(rows);
  for (let row = 0; row < rows; row++) {
    if (perRow === 1) {
      labels[row] = predictions[row]! > 0.5 ? 1n : 0n;
      continue;
    }
    let best = 0;
    for (let c = 1; c < perRow; c++) {
      if (predictions[row * perRow + c]! > predictions[row * perRow + best]!) best = c;
    }
    labels[row] = BigInt(best);
  }
  return { data: labels, shape: [rows, 1] };
}

/** What XGBoost's scikit-learn `predict_proba()` returns: one column per class. */
function predictProba(booster: Booster, predictions: Float32Array, rows: number): Tensor {
  if (booster.numGroups > 1) return { data: predictions, shape: [rows, booster.numGroups] };
  const both = new Float32Array(rows * 2);
  for (let row = 0; row < rows; row++) {
    both[row * 2] = 1 - predictions[row]!;
    both[row * 2 + 1] = predictions[row]!;
  }
  return { data: both, shape: [rows, 2] };
}

/** The request as rows of float32 features, as XGBoost's DMatrix holds them. */
function featureMatrix(
  decoded: Tensor | Table,
  booster: Booster,
): { features: Float32Array; rows: number } {
  const expected = booster.numFeature;
  if ("columns" in decoded) return tableMatrix(decoded, booster);
  const { data, shape } = decoded;
  if (shape.length !== 2 || shape[1] !== expected) {
    throw new InvalidRequestError(
      `XGBoostModel expects one input of shape [N, ${expected}], got [${shape}]`,
    );
  }
  if (Array.isArray(data)) {
    throw new InvalidRequestError("XGBoostModel expects a numeric input, got BYTES");
  }
  // Typed-array conversion is a native copy; only 64-bit integers need a per-value call.
  const features = data instanceof Float32Array
    ? data
    : data instanceof BigInt64Array || data instanceof BigUint64Array
    ? Float32Array.from(data, Number)
    : new Float32Array(data as Exclude<typeof data, BigInt64Array | BigUint64Array>);
  return { features, rows: shape[0]! };
}

/**
 * A `pd` table as features: by the model's feature names when it has them
 * (every one must be a column, as XGBoost requires of a DataFrame), else in
 * column order.
 */
function tableMatrix(table: Table, booster: Booster): { features: Float32Array; rows: number } {
  const names = Object.keys(table.columns);
  const named = booster.featureNames.length > 0;
  const missing = booster.featureNames.filter((f) => !(f in table.columns));
  if (named && missing.length > 0) {
    throw new InvalidRequestError(
      `XGBoostModel was trained with features ${booster.featureNames.join(", ")}; ` +
        `the request has no column ${missing.join(", ")}`,
    );
  }
  const order = named ? booster.featureNames : names;
  if (order.length !== booster.numFeature) {
    throw new InvalidRequestError(
      `XGBoostModel expects ${booster.numFeature} columns, got ${names.length} (${names})`,
    );
  }
  const features = new Float32Array(table.rows * order.length);
  order.forEach((name, f) => {
    const column = table.columns[name]!;
    for (let row = 0; row < table.rows; row++) {
      const value = column[row];
      if (typeof value !== "number" && typeof value !== "bigint" && value !== null) {
        throw new InvalidRequestError(`XGBoostModel expects numeric columns; '${name}' is not`);
      }
      features[row * order.length + f] = value === null ? NaN : Number(value);
    }
  });
  return { features, rows: table.rows };
}
