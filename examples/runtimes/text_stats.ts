/**
 * A runtime that lives outside the models folder: the server finds it
 * through `MLSERVER_MODULE_PATH` (like PYTHONPATH for MLServer). It counts
 * characters, words and lines of each string it gets.
 *
 * @module
 */

import { InferenceError, type InferenceRequest, type InferenceResponse, MLModel } from "mlserver";

const utf8 = new TextDecoder();

/** Per-string statistics: `chars`, `words` and `lines` (INT32, one row per string). */
export class TextStatsModel extends MLModel {
  predict(request: InferenceRequest): Promise<InferenceResponse> {
    const input = request.inputs.find((i) => i.name === "text");
    if (input === undefined || input.datatype !== "BYTES") {
      throw new InferenceError("Expected a BYTES input named 'text'");
    }
    const texts = (input.data as (string | Uint8Array)[]).map((t) =>
      typeof t === "string" ? t : utf8.decode(t)
    );
    const count = (f: (text: string) => number) => Int32Array.from(texts, f);
    const shape = [texts.length, 1];
    return Promise.resolve({
      model_name: this.name,
      outputs: [
        { name: "chars", datatype: "INT32", shape, data: count((t) => [...t].length) },
        {
          name: "words",
          datatype: "INT32",
          shape,
          data: count((t) => t.split(/\s+/u).filter(Boolean).length),
        },
        {
          name: "lines",
          datatype: "INT32",
          shape,
          data: count((t) => t === "" ? 0 : t.split("\n").length),
        },
      ],
    });
  }
}
