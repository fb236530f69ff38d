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
      throw new Error(`Cannot load XGBoost model ${uri}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return true;
  }

  predict(request: InferenceRequest): Promise<InferenceResponse> {
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
    return Promise.resolve(response);
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

/** What XGBoost's scikit-learn `predict()` returns. */
function predict(booster: Booster, predictions: Float32Array, rows: number): Tensor {
  const perRow = predictions.length / Math.max(rows, 1);
  if (booster.estimatorType === "regressor" || booster.objective === "multi:softmax") {
    const datatype = booster.estimatorType === "regressor" ? "FP32" : "INT64";
    const data = datatype === "FP32"
      ? predictions
      : BigInt64Array.from(predictions, (p) => BigInt(p));
    return { data, shape: [rows, rows === 0 ? booster.numGroups : perRow], datatype };
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
  return { data: labels, shape: [rows, 1], datatype: "INT64" };
}

/** What XGBoost's scikit-learn `predict_proba()` returns: one column per class. */
function predictProba(booster: Booster, predictions: Float32Array, rows: number): Tensor {
  if (booster.numGroups > 1) {
    return { data: predictions, shape: [rows, booster.numGroups], datatype: "FP32" };
  }
  const both = new Float32Array(rows * 2);
  for (let row = 0; row < rows; row++) {
    both[row * 2] = 1 - predictions[row]!;
    both[row * 2 + 1] = predictions[row]!;
  }
  return { data: both, shape: [rows, 2], datatype: "FP32" };
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
  const features = data instanceof Float32Array
    ? data
    : Float32Array.from(data as ArrayLike<number | bigint>, Number);
  return { features, rows: shape[0]! };
}

function tableMatrix(table: Table, booster: Booster): { features: Float32Array; rows: number } {
  const names = Object.keys(table.columns);
  const order = booster.featureNames.length > 0 &&
      booster.featureNames.every((f) => f in table.columns)
    ? booster.featureNames
    : names;
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
