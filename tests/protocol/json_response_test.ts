import assert from "node:assert/strict";
import { ServerError } from "../../src/errors.ts";
import { encodeJsonResponse, jsonData, jsonValue } from "../../src/protocol/json_response.ts";
import type { InferenceResponse } from "../../src/protocol/types.ts";

Deno.test("jsonData() writes each typed array as JSON", async (t) => {
  const cases: {
    name: string;
    data: Parameters<typeof jsonData>[0];
    bool?: boolean;
    expected: string;
  }[] = [
    { name: "FP32", data: new Float32Array([0.5, -2]), expected: "[0.5,-2]" },
    {
      name: "FP64 non-finite as null",
      data: new Float64Array([1, NaN, Infinity, -Infinity]),
      expected: "[1,null,null,null]",
    },
    {
      name: "INT64 beyond 2^53 exact",
      data: new BigInt64Array([9007199254740993n, -1n]),
      expected: "[9007199254740993,-1]",
    },
    {
      name: "UINT64 max",
      data: new BigUint64Array([18446744073709551615n]),
      expected: "[18446744073709551615]",
    },
    { name: "BOOL", data: new Uint8Array([1, 0]), bool: true, expected: "[true,false]" },
    { name: "UINT8", data: new Uint8Array([1, 0]), expected: "[1,0]" },
    { name: "empty", data: new Int32Array(0), expected: "[]" },
    {
      name: "BYTES strings and UTF-8 bytes",
      data: ["a", new TextEncoder().encode("é")],
      expected: '["a","é"]',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(jsonData(c.data, "y", c.bool), c.expected));
  }
});

Deno.test("jsonData() refuses non-UTF-8 bytes with a hint", () => {
  assert.throws(() => jsonData([new Uint8Array([0xff, 0xfe])], "blob"), {
    name: "CodecError",
    message: /element 0 is not valid UTF-8; ask for it with the binary_data parameter/,
  });
});

Deno.test("encodeJsonResponse() omits unset fields and keeps field order", () => {
  const response: InferenceResponse = {
    model_name: "m",
    id: "1",
    outputs: [{ name: "y", datatype: "FP32", shape: [2], data: [1, 2] }],
  };
  assert.deepEqual(
    encodeJsonResponse(response),
    '{"model_name":"m","id":"1","outputs":[{"name":"y","shape":[2],"datatype":"FP32","data":[1,2]}]}',
  );
  assert.deepEqual(
    JSON.parse(encodeJsonResponse({ ...response, model_version: "v2" })).model_version,
    "v2",
  );
});

Deno.test("encodeJsonResponse() accepts nested plain arrays and checks them", () => {
  const text = encodeJsonResponse({
    model_name: "m",
    outputs: [{ name: "y", datatype: "INT32", shape: [2, 2], data: [[1, 2], [3, 4]] }],
  });
  assert.deepEqual(JSON.parse(text).outputs[0].data, [1, 2, 3, 4]);
  assert.throws(
    () =>
      encodeJsonResponse({
        model_name: "m",
        outputs: [{ name: "y", datatype: "FP32", shape: [3], data: new Float32Array(2) }],
      }),
    (err: unknown) =>
      err instanceof ServerError && err.status === 500 &&
      err.message === "Model output 'y': data has 2 elements, shape [3] needs 3",
  );
});

Deno.test("encodeJsonResponse() writes bigint parameters as exact JSON numbers", () => {
  const response: InferenceResponse = {
    model_name: "m",
    parameters: { seed: 2n ** 64n - 1n, plain: 1 },
    outputs: [{
      name: "y",
      datatype: "INT64",
      shape: [2],
      parameters: { offset: -(2n ** 63n) },
      data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
    }],
  };
  const text = encodeJsonResponse(response);
  assert.equal(
    text,
    '{"model_name":"m","parameters":{"seed":18446744073709551615,"plain":1},"outputs":[' +
      '{"name":"y","shape":[2],"datatype":"INT64","parameters":{"offset":-9223372036854775808},' +
      '"data":[-9223372036854775808,9223372036854775807]}]}',
  );
  assert.equal(jsonValue({ a: [1n] }), '{"a":[1]}');
  assert.throws(() =>
    jsonValue({
      toJSON: () => {
        throw new RangeError("no");
      },
    }), RangeError);
});
