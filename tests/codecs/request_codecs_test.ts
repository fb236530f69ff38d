import assert from "node:assert/strict";
import { PandasCodec } from "../../src/codecs/pandas.ts";
import { defaultCodecs } from "../../src/codecs/registry.ts";
import { NumpyRequestCodec, StringRequestCodec } from "../../src/codecs/request.ts";
import { CodecError } from "../../src/errors.ts";
import type { TensorLike } from "../../src/codecs/codec.ts";
import { MLModel } from "../../src/runtime/model.ts";
import { resolveModelSettings } from "../../src/settings/model_settings.ts";
import type { InferenceRequest, InferenceResponse } from "../../src/protocol/types.ts";

const codecs = defaultCodecs();
const decodeInput = (input: TensorLike) => {
  const ct = input.parameters?.content_type;
  const codec = ct === undefined ? undefined : codecs.input(ct);
  return codec === undefined ? undefined : codec.decode(input);
};

Deno.test("np and str request codecs take exactly one input and answer output-1", () => {
  const tensor = NumpyRequestCodec.decodeRequest({
    inputs: [{ name: "x", datatype: "FP64", shape: [1, 2], data: new Float64Array([1, 2]) }],
  }, decodeInput);
  assert.deepEqual(tensor, { data: new Float64Array([1, 2]), shape: [1, 2], datatype: "FP64" });
  const response = NumpyRequestCodec.encodeResponse("m", tensor, "3");
  assert.deepEqual(response.outputs.map((o) => o.name), ["output-1"]);
  assert.equal(response.model_version, "3");
  assert.equal(response.parameters?.content_type, "np");
  assert.deepEqual(
    StringRequestCodec.decodeResponse(
      StringRequestCodec.encodeResponse("m", ["a", "b"]),
      decodeInput,
    ),
    ["a", "b"],
  );
  assert.throws(
    () => StringRequestCodec.decodeRequest({ inputs: [] }, decodeInput),
    (err: unknown) =>
      err instanceof CodecError && /needs exactly one input, got 0/.test(err.message),
  );
});

Deno.test("pd decodes a request into columns, using each input's own content type", () => {
  const request: InferenceRequest = {
    parameters: { content_type: "pd" },
    inputs: [
      { name: "rooms", datatype: "INT32", shape: [3, 1], data: new Int32Array([2, 3, 4]) },
      {
        name: "city",
        datatype: "BYTES",
        shape: [3],
        data: ["Oslo", new TextEncoder().encode("Lima"), "Pune"],
        parameters: { content_type: "str" },
      },
      {
        name: "opened",
        datatype: "BYTES",
        shape: [3],
        data: ["2020-01-01", "2021-06-30", "2022-12-31"],
        parameters: { content_type: "datetime" },
      },
      {
        name: "extra",
        datatype: "BYTES",
        shape: [3],
        data: ['{"a":1}', "[1,2]", "null"],
        parameters: { content_type: "pd_json" },
      },
      { name: "xy", datatype: "FP32", shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      {
        name: "floors",
        datatype: "INT32",
        shape: [3, 1],
        data: new Int32Array([1, 5, 9]),
        parameters: { content_type: "np" },
      },
    ],
  };
  const table = PandasCodec.decodeRequest(request, decodeInput);
  assert.deepEqual(table.columns.floors, new Int32Array([1, 5, 9]), "an np input is a column");
  assert.equal(table.rows, 3);
  assert.deepEqual(table.columns.rooms, new Int32Array([2, 3, 4]));
  assert.deepEqual(table.columns.city, ["Oslo", "Lima", "Pune"]);
  assert.equal((table.columns.opened as Date[])[1]!.toISOString(), "2021-06-30T00:00:00.000Z");
  assert.deepEqual(table.columns.extra, [{ a: 1 }, [1, 2], null]);
  assert.deepEqual(table.columns.xy, [
    new Float32Array([1, 2]),
    new Float32Array([3, 4]),
    new Float32Array([5, 6]),
  ]);
  assert.throws(
    () =>
      PandasCodec.decodeRequest({
        inputs: [request.inputs[0]!, { ...request.inputs[4]!, shape: [2, 3] }],
      }, decodeInput),
    (err: unknown) =>
      err instanceof CodecError && /input 'xy' has 2 rows, the others 3/.test(err.message),
  );
});

Deno.test("pd encodes every kind of column with its datatype", () => {
  const response = PandasCodec.encodeResponse("m", {
    rows: 2,
    columns: {
      price: [1.5, 2.25],
      count: [3, 4],
      big: [2n ** 60n, 1n],
      ok: [true, false],
      name: ["a", "b"],
      when: [new Date(0), new Date(86400000)],
      typed: new Float32Array([7, 8]),
      pairs: [new Int32Array([1, 2]), new Int32Array([3, 4])],
      misc: [{ k: 1 }, [2]],
    },
  });
  const by = Object.fromEntries(response.outputs.map((o) => [o.name, o]));
  assert.equal(response.parameters?.content_type, "pd");
  assert.deepEqual([by.price!.datatype, by.price!.shape], ["FP64", [2, 1]]);
  assert.deepEqual([by.count!.datatype, by.count!.data], ["INT64", new BigInt64Array([3n, 4n])]);
  assert.deepEqual(by.big!.data, new BigInt64Array([2n ** 60n, 1n]));
  assert.deepEqual([by.ok!.datatype, by.ok!.data], ["BOOL", new Uint8Array([1, 0])]);
  assert.deepEqual([by.name!.datatype, by.name!.parameters?.content_type], ["BYTES", "str"]);
  assert.deepEqual(by.when!.data, ["1970-01-01T00:00:00.000Z", "1970-01-02T00:00:00.000Z"]);
  assert.equal(by.typed!.datatype, "FP32");
  assert.deepEqual([by.pairs!.shape, by.pairs!.data], [[2, 2], new Int32Array([1, 2, 3, 4])]);
  assert.deepEqual([by.misc!.data, by.misc!.parameters?.content_type], [
    ['{"k":1}', "[2]"],
    "pd_json",
  ]);
  // And back: a client reads the response as a table again.
  const table = PandasCodec.decodeResponse(response, decodeInput);
  assert.deepEqual(table.columns.name, ["a", "b"]);
  assert.throws(
    () => PandasCodec.encodeResponse("m", { rows: 3, columns: { short: [1] } }),
    (err: unknown) =>
      err instanceof CodecError &&
      /column 'short' as pd: it has 1 values, the table 3 rows/.test(err.message),
  );
  assert.throws(
    () => PandasCodec.encodeResponse("m", { rows: 1, columns: { at: [new Date("nope")] } }),
    (err: unknown) =>
      err instanceof CodecError &&
      /Cannot encode 'at' as datetime: element 0 is an invalid Date/.test(err.message),
  );
});

class CodecModel extends MLModel {
  predict(_request: InferenceRequest): Promise<InferenceResponse> {
    return Promise.reject(new Error("not used"));
  }
}

Deno.test("MLModel resolves content types: input parameters, then metadata, then the default", () => {
  const model = new CodecModel(resolveModelSettings({
    name: "m",
    inputs: [{
      name: "when",
      datatype: "BYTES",
      shape: [-1],
      parameters: { content_type: "datetime" },
    }],
    outputs: [{
      name: "tags",
      datatype: "BYTES",
      shape: [-1],
      parameters: { content_type: "base64" },
    }],
    parameters: { content_type: "pd" },
  }));
  const text = { name: "free", datatype: "BYTES" as const, shape: [1], data: ["2024-01-01"] };
  assert.deepEqual(model.decode(text), ["2024-01-01"], "no content type anywhere: raw data");
  assert.deepEqual(model.decode(text, "str"), ["2024-01-01"]);
  assert.ok(
    (model.decode({ ...text, name: "when" }) as Date[])[0] instanceof Date,
    "from metadata",
  );
  assert.deepEqual(model.decode({ ...text, name: "when", parameters: { content_type: "str" } }), [
    "2024-01-01",
  ], "the input's own parameters win");
  assert.equal(
    model.encode("tags", [new Uint8Array([1])]).parameters?.content_type,
    "base64",
    "metadata picks the output codec",
  );
  assert.equal(
    model.encode("other", ["x"]).parameters?.content_type,
    "str",
    "else the first codec that can encode",
  );
  assert.throws(
    () => model.encode("other", { not: "encodable" }),
    (err: unknown) =>
      err instanceof CodecError && err.message === "Codec not found for output 'other'",
  );
  assert.throws(
    () => model.decode(text, "nope"),
    (err: unknown) => err instanceof CodecError && /content type 'nope'/.test(err.message),
  );
  const request: InferenceRequest = {
    inputs: [{ name: "a", datatype: "INT8", shape: [1], data: new Int8Array([5]) }],
  };
  const table = model.decodeRequest(request) as { rows: number };
  assert.equal(table.rows, 1, "the model's parameters.content_type (pd) applies");
  assert.deepEqual(model.decodeRequest({ ...request, parameters: { content_type: "np" } }), {
    data: new Int8Array([5]),
    shape: [1],
    datatype: "INT8",
  });
  assert.equal(model.encodeResponse(["a"]).parameters?.content_type, "str");
  assert.equal(model.encodeResponse({ rows: 0, columns: {} }).model_name, "m");
});

Deno.test("a runtime extends its own codecs without touching other models", () => {
  const model = new CodecModel(resolveModelSettings({ name: "m" }));
  const other = new CodecModel(resolveModelSettings({ name: "n" }));
  model.codecs.addInputCodec({
    contentType: "csv",
    canEncode: (_v): _v is string[][] => false,
    decode: (t) => (t.data as string[]).map((line) => line.split(",")),
    encode: (name, v) => ({
      name,
      datatype: "BYTES",
      shape: [v.length],
      data: v.map((row) => row.join(",")),
    }),
  });
  assert.deepEqual(
    model.decode({
      name: "c",
      datatype: "BYTES",
      shape: [1],
      data: ["a,b"],
      parameters: { content_type: "csv" },
    }),
    [["a", "b"]],
  );
  assert.equal(other.codecs.input("csv"), undefined);
});
