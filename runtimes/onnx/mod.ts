/**
 * The built-in ONNX runtime, `mlserver_onnx.OnnxModel`: the name of the Red
 * Hat MLServer fork's runtime, which KServe and ModelMesh route `onnx`
 * models to. It serves `model.onnx` (or `parameters.uri`) through
 * onnxruntime-node, loaded only when such a model loads (see ort.ts).
 *
 * As the fork: inputs matched by name (by position when no name matches and
 * the counts agree); `predict` by default, which answers the graph's first
 * output under the name `predict`; any graph output when asked for by its
 * name; results encoded by the np codec (a 1-D result as [N, 1]). Metadata
 * comes from the graph when the settings declare no inputs or outputs.
 *
 * @module
 */

import {
  getModelUri,
  InferenceError,
  type InferenceRequest,
  type InferenceResponse,
  MLModel,
  type ModelMetadata,
  RuntimeLoadError,
} from "mlserver";
import { OnnxSession } from "./session.ts";
import { fromOrtTensor } from "./tensors.ts";

/** File names tried when the model's `uri` is a folder (the fork's list). */
export const WELLKNOWN_MODEL_FILENAMES = ["model.onnx"];

const PREDICT = "predict";

/** Serves an ONNX model with the fork's conventions. */
export class OnnxModel extends MLModel {
  #session: OnnxSession | undefined;

  override async load(): Promise<boolean> {
    this.#session = await openSession(this);
    return true;
  }

  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    const session = this.#session;
    if (session === undefined) throw new InferenceError(`Model '${this.name}' is not loaded`);
    const names = session.outputs.map((o) => o.name);
    if (names.length === 0) throw new InferenceError("ONNX model has no outputs");
    const requested = request.outputs?.length ? request.outputs : [{ name: PREDICT }];
    for (const { name } of requested) {
      if (name !== PREDICT && !names.includes(name)) {
        throw new InferenceError(
          `OnnxModel only supports '${PREDICT}' or model outputs (${name} was received)`,
        );
      }
    }
    const graphName = (name: string) => name === PREDICT ? names[0]! : name;
    const fetch = [...new Set(requested.map((o) => graphName(o.name)))];
    const results = await session.run(session.feeds(request.inputs), fetch);
    const outputs = requested.map((o) =>
      this.encode(o.name, fromOrtTensor(results[graphName(o.name)]!), "np")
    );
    const response: InferenceResponse = { model_name: this.name, outputs };
    if (this.version !== undefined) response.model_version = this.version;
    return response;
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

/**
 * Opens the model file of `model`'s settings, refusing a graph without
 * inputs as the fork does.
 *
 * @throws {RuntimeLoadError} when the file cannot be opened
 */
export async function openSession(model: MLModel): Promise<OnnxSession> {
  const uri = await getModelUri(model.settings, { wellknownFilenames: WELLKNOWN_MODEL_FILENAMES });
  const session = await OnnxSession.open(uri, model.settings.parameters.extra);
  if (session.inputs.length === 0) {
    await session.release();
    throw new RuntimeLoadError(`Failed to load ONNX model from '${uri}': ONNX model has no inputs`);
  }
  return session;
}

/** Metadata with the graph's inputs and outputs where the settings declare none. */
export function withGraphMetadata(
  metadata: ModelMetadata,
  session: OnnxSession | undefined,
): ModelMetadata {
  if (session === undefined) return metadata;
  const graph = session.metadata();
  if (!metadata.inputs?.length) metadata.inputs = graph.inputs;
  if (!metadata.outputs?.length) metadata.outputs = graph.outputs;
  return metadata;
}
