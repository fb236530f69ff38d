/**
 * The built-in scikit-learn runtime, `mlserver_sklearn.SKLearnModel`: the
 * name MLServer, ModelMesh and KServe use. It serves models pickled by
 * `joblib.dump` or `pickle.dump` (found as `model.joblib`, `model.pickle`
 * or `model.pkl`) without Python: a pickle reader that never executes
 * anything rebuilds the fitted estimator as data, and TypeScript evaluates
 * `predict`, `predict_proba` and `transform` as scikit-learn does. Outputs
 * follow MLServer's SKLearnModel: `predict` unless the request names
 * outputs or `parameters.extra.predict_fn` picks another method.
 *
 * @module
 */

import {
  getModelUri,
  InferenceError,
  type InferenceRequest,
  type InferenceResponse,
  MLModel,
  type RequestOutput,
  RuntimeLoadError,
  type Table,
  type Tensor,
} from "mlserver";
import { type Estimator, type Input, isFrame } from "./estimator.ts";
import { buildEstimator, SKLEARN_CLASSES } from "./estimators.ts";
import { readModelFile } from "./model_file.ts";
import { tableInput, tensorInput } from "./request_input.ts";

/** File names tried, in order, when the model's `uri` is a folder (MLServer's list). */
export const WELLKNOWN_MODEL_FILENAMES = ["model.joblib", "model.pickle", "model.pkl"];

const PREDICT = "predict";
const PREDICT_PROBA = "predict_proba";
const TRANSFORM = "transform";
const VALID_OUTPUTS = [PREDICT, PREDICT_PROBA, TRANSFORM];

/** Serves a pickled scikit-learn estimator or pipeline. */
export class SKLearnModel extends MLModel {
  #estimator: Estimator | undefined;

  override async load(): Promise<boolean> {
    const uri = await getModelUri(this.settings, { wellknownFilenames: WELLKNOWN_MODEL_FILENAMES });
    if ((await Deno.stat(uri).catch(() => undefined))?.isDirectory) {
      throw new RuntimeLoadError(
        `Cannot load scikit-learn model ${uri}: the folder has none of ${
          WELLKNOWN_MODEL_FILENAMES.join(", ")
        }`,
      );
    }
    try {
      this.#estimator = buildEstimator(await readModelFile(uri, SKLEARN_CLASSES));
    } catch (err) {
      throw new RuntimeLoadError(
        `Cannot load scikit-learn model ${uri}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return true;
  }

  // async: every problem reaches the caller as a rejected promise, never a throw.
  // deno-lint-ignore require-await
  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    const estimator = this.#estimator;
    if (estimator === undefined) throw new InferenceError(`Model '${this.name}' is not loaded`);
    const outputs = this.#requestedOutputs(request.outputs, estimator);
    const decoded = this.decodeRequest(request, "np") as Tensor | Table;
    const input = "columns" in decoded ? tableInput(decoded) : tensorInput(decoded);
    const response: InferenceResponse = {
      model_name: this.name,
      outputs: outputs.map(({ name }) => {
        const value = name === PREDICT ? estimator.predict!(input) : resultTensor(
          name === PREDICT_PROBA ? estimator.predictProba!(input) : estimator.transform!(input),
        );
        return this.encode(name, value, "np");
      }),
    };
    if (this.version !== undefined) response.model_version = this.version;
    return response;
  }

  /** MLServer's `_check_request`: default output, `predict_fn`, valid names, regressors. */
  #requestedOutputs(
    requested: RequestOutput[] | undefined,
    estimator: Estimator,
  ): { name: string }[] {
    let outputs: { name: string }[];
    if (requested === undefined || requested.length === 0) {
      const predictFn = this.settings.parameters.extra?.predict_fn;
      outputs = [{ name: typeof predictFn === "string" ? predictFn : PREDICT }];
    } else {
      outputs = requested;
    }
    for (const { name } of outputs) {
      if (!VALID_OUTPUTS.includes(name)) {
        throw new InferenceError(
          `SKLearnModel only supports '${PREDICT}', '${PREDICT_PROBA}' and '${TRANSFORM}' ` +
            `as outputs (${name} was received)`,
        );
      }
      const method = name === PREDICT
        ? estimator.predict
        : name === PREDICT_PROBA
        ? estimator.predictProba
        : estimator.transform;
      if (method === undefined) {
        const last = estimator.lastStep ?? estimator;
        throw new InferenceError(`<class '${last.pyClass}'> models do not support '${name}'`);
      }
    }
    return outputs;
  }
}

/**
 * A 2-D result as numpy would be encoded: FP64, or FP32 when scikit-learn
 * kept float32; text (an object array) as BYTES.
 */
function resultTensor(m: Input): Tensor {
  if (!isFrame(m)) {
    if (m.bool) return { data: Uint8Array.from(m.data), shape: [m.rows, m.cols], datatype: "BOOL" };
    return m.float32
      ? { data: Float32Array.from(m.data), shape: [m.rows, m.cols], datatype: "FP32" }
      : { data: m.data, shape: [m.rows, m.cols], datatype: "FP64" };
  }
  const cols = m.columns.length;
  const data: string[] = new Array(m.rows * cols);
  m.columns.forEach((column, c) => {
    for (let r = 0; r < m.rows; r++) data[r * cols + c] = String(column[r] ?? "nan");
  });
  return { data, shape: [m.rows, cols], datatype: "BYTES" };
}
