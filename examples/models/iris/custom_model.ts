/**
 * A custom runtime in the shape of MLServer's custom-runtime template: it
 * finds its model file through well-known names, checks the request, and
 * returns computed outputs. The model is a softmax regression trained with
 * scikit-learn (see train.py); this class reproduces its predictions.
 *
 * @module
 */

import {
  getModelUri,
  InferenceError,
  type InferenceRequest,
  type InferenceResponse,
  MLModel,
} from "mlserver";

/** File names tried, in order, when `parameters.uri` is a folder. */
const WELLKNOWN_MODEL_FILENAMES = ["model.json"];

interface SoftmaxRegression {
  format: "softmax-regression";
  features: string[];
  classes: string[];
  coef: number[][];
  intercept: number[];
}

/** Iris classifier: `predict` (class index) and `predict_proba` per row. */
export class CustomMLModel extends MLModel {
  #model: SoftmaxRegression | undefined;

  override async load(): Promise<boolean> {
    const modelUri = await getModelUri(this.settings, {
      wellknownFilenames: WELLKNOWN_MODEL_FILENAMES,
    });
    const model = JSON.parse(await Deno.readTextFile(modelUri)) as SoftmaxRegression;
    if (model.format !== "softmax-regression") {
      throw new Error(`${modelUri} is not a softmax-regression model`);
    }
    this.#model = model;
    return true;
  }

  predict(request: InferenceRequest): Promise<InferenceResponse> {
    const model = this.#model!;
    const features = model.features.length;
    const classes = model.classes.length;
    const input = request.inputs[0];
    if (request.inputs.length !== 1 || input === undefined) {
      throw new InferenceError(`Expected exactly one input, got ${request.inputs.length}`);
    }
    const [rows, columns] = input.shape;
    if (input.shape.length !== 2 || columns !== features || rows === undefined) {
      throw new InferenceError(
        `Input '${input.name}' must have shape [N, ${features}], got [${input.shape}]`,
      );
    }
    if (input.datatype !== "FP32" && input.datatype !== "FP64") {
      throw new InferenceError(`Input '${input.name}' must be FP32 or FP64, got ${input.datatype}`);
    }
    const x = input.data as Float32Array | Float64Array;
    const labels = new BigInt64Array(rows);
    const probabilities = new Float32Array(rows * classes);
    const scores = new Float64Array(classes);
    for (let row = 0; row < rows; row++) {
      let best = 0;
      for (let c = 0; c < classes; c++) {
        let score = model.intercept[c]!;
        for (let f = 0; f < features; f++) score += model.coef[c]![f]! * x[row * features + f]!;
        scores[c] = score;
        if (score > scores[best]!) best = c;
      }
      // Softmax, shifted by the largest score for numerical stability.
      const max = scores[best]!;
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += scores[c] = Math.exp(scores[c]! - max);
      for (let c = 0; c < classes; c++) probabilities[row * classes + c] = scores[c]! / sum;
      labels[row] = BigInt(best);
    }
    return Promise.resolve({
      model_name: this.name,
      model_version: this.version,
      outputs: [
        { name: "predict", datatype: "INT64", shape: [rows, 1], data: labels },
        { name: "predict_proba", datatype: "FP32", shape: [rows, classes], data: probabilities },
      ],
    });
  }
}
