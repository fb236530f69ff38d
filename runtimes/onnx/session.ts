/**
 * One onnxruntime session, shared by `OnnxModel` and `SKLearnOnnxModel`:
 * opening (options from `parameters.extra`, ZipMaps rewritten), the graph's
 * inputs and outputs as V2 metadata, request inputs matched to graph inputs,
 * and runs whose failures are the client's 400s.
 *
 * @module
 */

import { InferenceError, type MetadataTensor, type RequestInput, RuntimeLoadError } from "mlserver";
import type { InferenceSession, Tensor as OrtTensor } from "onnxruntime-node";
import { replaceZipMaps, type ZipMapLabels } from "./onnx_proto.ts";
import { onnxOptions } from "./options.ts";
import { loadOnnxRuntime, type OnnxRuntime } from "./ort.ts";
import { toOrtTensor, V2_DATATYPE } from "./tensors.ts";

/** A graph input or output: a tensor's element type and dimensions, or a non-tensor. */
export interface ValueInfo {
  name: string;
  /** undefined for sequences, maps and optionals. */
  type: OrtTensor.Type | undefined;
  /** Sizes, or names of symbolic dimensions. */
  shape: (number | string)[];
}

/** An open ONNX model. */
export class OnnxSession {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Outputs that were ZipMaps, with their class labels (columns of the probabilities). */
  readonly zipMaps: ReadonlyMap<string, ZipMapLabels>;
  readonly #ort: OnnxRuntime;
  readonly #session: InferenceSession;
  readonly #run: InferenceSession.RunOptions;

  private constructor(
    ort: OnnxRuntime,
    session: InferenceSession,
    run: InferenceSession.RunOptions,
    zipMaps: ReadonlyMap<string, ZipMapLabels>,
  ) {
    this.#ort = ort;
    this.#session = session;
    this.#run = run;
    this.zipMaps = zipMaps;
    this.inputs = session.inputMetadata.map(valueInfo);
    this.outputs = session.outputMetadata.map(valueInfo);
  }

  /**
   * Opens `path`. A model with a ZipMap output is read, rewritten and
   * opened from memory (skl2onnx models are small); others open by path, so
   * external data files next to them are found.
   *
   * @throws {RuntimeLoadError} with onnxruntime's reason
   */
  static async open(path: string, extra: Readonly<Record<string, unknown>>): Promise<OnnxSession> {
    const ort = await loadOnnxRuntime().catch((err) => {
      throw new RuntimeLoadError((err as Error).message, { cause: err });
    });
    let options;
    try {
      options = onnxOptions(extra, navigator.hardwareConcurrency);
    } catch (err) {
      throw new RuntimeLoadError((err as Error).message, { cause: err });
    }
    try {
      let session = await ort.InferenceSession.create(path, options.session);
      let zipMaps = new Map<string, ZipMapLabels>();
      if (session.outputMetadata.some((m) => !m.isTensor)) {
        const replaced = replaceZipMaps(await Deno.readFile(path));
        if (replaced !== undefined) {
          await session.release();
          session = await ort.InferenceSession.create(replaced.model, options.session);
          zipMaps = replaced.labels;
        }
      }
      return new OnnxSession(ort, session, options.run, zipMaps);
    } catch (err) {
      throw new RuntimeLoadError(
        `Failed to load ONNX model from '${path}': ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** The graph's tensors as V2 metadata (symbolic or unknown dimensions as -1). */
  metadata(): { inputs: MetadataTensor[]; outputs: MetadataTensor[] } {
    const toMetadata = (info: ValueInfo): MetadataTensor[] =>
      info.type === undefined ? [] : [{
        name: info.name,
        datatype: V2_DATATYPE[info.type],
        shape: info.shape.map((d) => typeof d === "number" && d >= 0 ? d : -1),
      }];
    return { inputs: this.inputs.flatMap(toMetadata), outputs: this.outputs.flatMap(toMetadata) };
  }

  /**
   * The feeds of a request: inputs matched by name (extra ones ignored, as
   * the fork does); when names do not match but the counts agree, by
   * position, so clients that name inputs `input-0` still work.
   *
   * @throws {InferenceError} naming the missing inputs
   */
  feeds(inputs: readonly RequestInput[]): Record<string, OrtTensor> {
    const byName = new Map(inputs.map((input) => [input.name, input]));
    const missing = this.inputs.filter((i) => !byName.has(i.name)).map((i) => i.name);
    const positional = missing.length > 0 && inputs.length === this.inputs.length;
    if (missing.length > 0 && !positional) {
      throw new InferenceError(
        `Model expects input(s) named ${JSON.stringify(this.inputs.map((i) => i.name))} but ` +
          `received ${JSON.stringify(inputs.map((i) => i.name))}. Missing: ${
            JSON.stringify(missing)
          }`,
      );
    }
    const feeds: Record<string, OrtTensor> = {};
    this.inputs.forEach((info, i) => {
      const input = positional ? inputs[i]! : byName.get(info.name)!;
      if (info.type === undefined) {
        throw new InferenceError(
          `Input '${info.name}' is not a tensor (a sequence or map), which V2 cannot send`,
        );
      }
      feeds[info.name] = toOrtTensor(this.#ort, asColumn(input, info), info.type);
    });
    return feeds;
  }

  /**
   * Runs the graph for the outputs `names`.
   *
   * @throws {InferenceError} with onnxruntime's reason (bad shapes, types)
   */
  async run(
    feeds: Record<string, OrtTensor>,
    names: readonly string[],
  ): Promise<Record<string, OrtTensor>> {
    for (const name of names) {
      if (this.outputs.find((o) => o.name === name)?.type === undefined) {
        throw new InferenceError(
          `Output '${name}' is not a tensor (a sequence or map), which onnxruntime-node cannot return`,
        );
      }
    }
    try {
      return await this.#session.run(feeds, names, this.#run);
    } catch (err) {
      throw new InferenceError(`ONNX inference failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Releases the native session. */
  release(): Promise<void> {
    return this.#session.release();
  }
}

/**
 * A 1-D input where the graph takes one column ([N, 1]) gets that shape:
 * what a `pd` request's columns are, and what skl2onnx's per-column inputs take.
 */
function asColumn(input: RequestInput, info: ValueInfo): RequestInput {
  const isColumn = info.shape.length === 2 && info.shape[1] === 1 && input.shape.length === 1;
  return isColumn ? { ...input, shape: [input.shape[0]!, 1] } : input;
}

function valueInfo(meta: InferenceSession.ValueMetadata): ValueInfo {
  return meta.isTensor
    ? { name: meta.name, type: meta.type, shape: [...meta.shape] }
    : { name: meta.name, type: undefined, shape: [] };
}
