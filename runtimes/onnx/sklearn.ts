/**
 * scikit-learn models exported to ONNX (skl2onnx, onnxmltools, or any
 * converter with their layout), served with MLServer's SKLearnModel
 * conventions: outputs `predict`, `predict_proba` and `transform`, only
 * `predict` unless the request asks (or `parameters.extra.predict_fn`
 * names another), and `predict_proba` refused with a 400 where the model
 * has no probabilities.
 *
 * What the graph tells: an exported classifier answers a label and then the
 * probabilities (a tensor, or a ZipMap, which the session turns into the
 * [N, classes] tensor `predict_proba` is); any other graph, a regressor or a
 * transformer, answers one tensor, which both `predict` and `transform`
 * return (the file does not say which of the two the estimator was).
 *
 * This class is not registered under a name: the server serves it for
 * `mlserver_sklearn.SKLearnModel` folders that hold `model.onnx`.
 *
 * @module
 */

import {
  InferenceError,
  type InferenceRequest,
  type InferenceResponse,
  MLModel,
  type ModelMetadata,
  RuntimeLoadError,
} from "mlserver";
import { openSession, withGraphMetadata } from "./mod.ts";
import type { OnnxSession } from "./session.ts";
import { fromOrtTensor } from "./tensors.ts";

const PREDICT = "predict";
const PREDICT_PROBA = "predict_proba";
const TRANSFORM = "transform";
const VALID_OUTPUTS = [PREDICT, PREDICT_PROBA, TRANSFORM];
const PREDICT_FN_KEY = "predict_fn";

/** Serves a scikit-learn estimator exported to `model.onnx`. */
export class SKLearnOnnxModel extends MLModel {
  #session: OnnxSession | undefined;
  /** The graph outputs answering predict and predict_proba (undefined: none). */
  #predict = "";
  #proba: string | undefined;

  override async load(): Promise<boolean> {
    const predictFn = this.settings.parameters.extra[PREDICT_FN_KEY];
    if (predictFn !== undefined && !VALID_OUTPUTS.includes(predictFn as string)) {
      throw new RuntimeLoadError(
        `parameters.extra.${PREDICT_FN_KEY} must be one of ${VALID_OUTPUTS.join(", ")} ` +
          `for a scikit-learn model exported to ONNX (got ${JSON.stringify(predictFn)})`,
      );
    }
    const session = await openSession(this);
    const [first, second] = session.outputs;
    if (first?.type === undefined) {
      await session.release();
      throw new RuntimeLoadError("A scikit-learn ONNX model's first output must be a tensor");
    }
    this.#predict = first.name;
    // Classifiers: label, then float probabilities [N, classes] (a ZipMap is one by now).
    this.#proba = second?.type === "float32" || second?.type === "float64"
      ? second.name
      : undefined;
    this.#session = session;
    return true;
  }

  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    const session = this.#session;
    if (session === undefined) throw new InferenceError(`Model '${this.name}' is not loaded`);
    const requested = this.#requested(request);
    const graphName = (name: string) => name === PREDICT_PROBA ? this.#proba! : this.#predict;
    const fetch = [...new Set(requested.map(graphName))];
    const results = await session.run(session.feeds(request.inputs), fetch);
    const outputs = requested.map((name) =>
      this.encode(name, fromOrtTensor(results[graphName(name)]!), "np")
    );
    const response: InferenceResponse = { model_name: this.name, outputs };
    if (this.version !== undefined) response.model_version = this.version;
    return response;
  }

  /** The outputs asked for, checked as MLServer's SKLearnModel checks them. */
  #requested(request: InferenceRequest): string[] {
    const predictFn = this.settings.parameters.extra[PREDICT_FN_KEY] as string | undefined;
    const names = request.outputs?.length
      ? request.outputs.map((o) => o.name)
      : [predictFn ?? PREDICT];
    for (const name of names) {
      if (!VALID_OUTPUTS.includes(name)) {
        throw new InferenceError(
          `SKLearnModel only supports '${PREDICT}', '${PREDICT_PROBA}' and ` +
            `'${TRANSFORM}' as outputs (${name} was received)`,
        );
      }
      if (name === PREDICT_PROBA && this.#proba === undefined) {
        throw new InferenceError(
          `Models without class probabilities (regressors, transformers) do not support ` +
            `'${PREDICT_PROBA}'`,
        );
      }
      if (name === TRANSFORM && this.#proba !== undefined) {
        throw new InferenceError(`Classifier models do not support '${TRANSFORM}'`);
      }
    }
    return names;
  }

  override async metadata(): Promise<ModelMetadata> {
    return withGraphMetadata(await super.metadata(), this.#session);
  }

  override async unload(): Promise<boolean> {
    await this.#session?.release();
    this.#session = undefined;
    return true;
  }
}
