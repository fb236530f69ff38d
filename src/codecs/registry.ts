/**
 * The codec registry: an explicit object, built from a list, that a model
 * owns and may extend with its own codecs. Nothing registers itself by being
 * imported (MLServer's global registry does).
 *
 * @module
 */

import type { InputCodec, RequestCodec } from "./codec.ts";
import { Base64Codec } from "./base64.ts";
import { DatetimeCodec } from "./datetime.ts";
import { PandasCodec, PandasJsonCodec } from "./pandas.ts";
import { NumpyRequestCodec, StringRequestCodec } from "./request.ts";
import { StringCodec } from "./string.ts";
import { NumpyCodec } from "./tensor.ts";

/**
 * Codecs by content type, in the order `canEncode` is tried.
 *
 * @example A registry of your own
 * ```ts
 * import { CodecRegistry, NumpyCodec, StringCodec } from "mlserver";
 * const registry = new CodecRegistry([StringCodec, NumpyCodec]);
 * console.assert(registry.inputFor(["a"]) === StringCodec && registry.input("np") === NumpyCodec);
 * ```
 */
export class CodecRegistry {
  readonly #input = new Map<string, InputCodec>();
  readonly #request = new Map<string, RequestCodec>();

  /**
   * @param input input codecs; later ones replace earlier ones of the same content type
   * @param request request codecs, likewise
   */
  constructor(input: readonly InputCodec[] = [], request: readonly RequestCodec[] = []) {
    for (const codec of input) this.#input.set(codec.contentType, codec);
    for (const codec of request) this.#request.set(codec.contentType, codec);
  }

  /** The input codec for a content type. */
  input(contentType: string): InputCodec | undefined {
    return this.#input.get(contentType);
  }

  /** The request codec for a content type. */
  request(contentType: string): RequestCodec | undefined {
    return this.#request.get(contentType);
  }

  /** The first input codec that can encode `value`. */
  inputFor(value: unknown): InputCodec | undefined {
    for (const codec of this.#input.values()) if (codec.canEncode(value)) return codec;
    return undefined;
  }

  /** The first request codec that can encode `value`. */
  requestFor(value: unknown): RequestCodec | undefined {
    for (const codec of this.#request.values()) if (codec.canEncode(value)) return codec;
    return undefined;
  }

  /** Adds (or replaces) an input codec. */
  addInputCodec<T>(codec: InputCodec<T>): this {
    this.#input.set(codec.contentType, codec as InputCodec);
    return this;
  }

  /** Adds (or replaces) a request codec. */
  addRequestCodec<T>(codec: RequestCodec<T>): this {
    this.#request.set(codec.contentType, codec as RequestCodec);
    return this;
  }
}

/**
 * A registry with MLServer's built-in codecs: input codecs `np`, `str`,
 * `base64`, `datetime` (and `pd_json`, the marker of JSON cells); request
 * codecs `np`, `str`, `pd`.
 *
 * @example Extend a model's codecs with your own
 * ```ts
 * import { defaultCodecs, type InputCodec } from "mlserver";
 * const upper: InputCodec<string[]> = {
 *   contentType: "upper",
 *   canEncode: (v): v is string[] => false,
 *   decode: (t) => (t.data as string[]).map((s) => s.toUpperCase()),
 *   encode: (name, v) => ({ name, datatype: "BYTES", shape: [v.length], data: v }),
 * };
 * const codecs = defaultCodecs().addInputCodec(upper);
 * console.assert(codecs.input("upper") === upper && codecs.input("np") !== undefined);
 * ```
 */
export function defaultCodecs(): CodecRegistry {
  return new CodecRegistry(
    [NumpyCodec, StringCodec, Base64Codec, DatetimeCodec, PandasJsonCodec] as InputCodec[],
    [NumpyRequestCodec, StringRequestCodec, PandasCodec] as RequestCodec[],
  );
}
