/**
 * A streaming runtime: answers a text one word at a time, the way a
 * language model streams tokens. `predictStream` serves REST's
 * `infer_stream` (server-sent events) and gRPC's `ModelStreamInfer`;
 * `predict` answers all the words at once. `parameters.extra.delay_ms` (in
 * model-settings.json) paces the words so the stream can be watched.
 *
 * @module
 */

import { InferenceError, type InferenceRequest, type InferenceResponse, MLModel } from "mlserver";

const utf8 = new TextDecoder();

export class WordStreamModel extends MLModel {
  /** The words of the request's `text` input. */
  #words(request: InferenceRequest): string[] {
    const input = request.inputs.find((i) => i.name === "text");
    if (input?.datatype !== "BYTES" || input.data.length !== 1) {
      throw new InferenceError("Expected one BYTES input 'text' with one element");
    }
    const text = input.data[0] as string | Uint8Array;
    return (typeof text === "string" ? text : utf8.decode(text)).split(/\s+/u).filter(Boolean);
  }

  predict(request: InferenceRequest): Promise<InferenceResponse> {
    const words = this.#words(request);
    return Promise.resolve({
      model_name: this.name,
      outputs: [
        { name: "token", datatype: "BYTES", shape: [words.length], data: words },
        {
          name: "position",
          datatype: "INT32",
          shape: [words.length],
          data: Int32Array.from(words, (_, i) => i),
        },
      ],
    });
  }

  /** One response per word, for each request of the stream in turn. */
  override async *predictStream(
    requests: AsyncIterable<InferenceRequest>,
  ): AsyncIterable<InferenceResponse> {
    const delay = Number(this.settings.parameters.extra?.delay_ms ?? 0);
    for await (const request of requests) {
      const words = this.#words(request);
      for (const [position, word] of words.entries()) {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        yield {
          model_name: this.name,
          outputs: [
            { name: "token", datatype: "BYTES", shape: [1], data: [word] },
            { name: "position", datatype: "INT32", shape: [1], data: new Int32Array([position]) },
          ],
        };
      }
    }
  }
}
