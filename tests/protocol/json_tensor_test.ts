import assert from "node:assert/strict";
import { InvalidRequestError } from "../../src/errors.ts";
import type { Datatype } from "../../src/protocol/datatypes.ts";
import { decodeJsonTensor } from "../../src/protocol/json_tensor.ts";

interface DecodeCase {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: unknown;
  expected: unknown;
}

const ACCEPTED: DecodeCase[] = [
  {
    name: "BOOL from booleans",
    datatype: "BOOL",
    shape: [3],
    data: [true, false, true],
    expected: new Uint8Array([1, 0, 1]),
  },
  {
    name: "BOOL from 0/1",
    datatype: "BOOL",
    shape: [2],
    data: [0, 1],
    expected: new Uint8Array([0, 1]),
  },
  {
    name: "UINT8 bounds",
    datatype: "UINT8",
    shape: [2],
    data: [0, 255],
    expected: new Uint8Array([0, 255]),
  },
  {
    name: "UINT16 bounds",
    datatype: "UINT16",
    shape: [2],
    data: [0, 65535],
    expected: new Uint16Array([0, 65535]),
  },
  {
    name: "UINT32 bounds",
    datatype: "UINT32",
    shape: [2],
    data: [0, 4294967295],
    expected: new Uint32Array([0, 4294967295]),
  },
  {
    name: "UINT64 from numbers and strings",
    datatype: "UINT64",
    shape: [2],
    data: [7, "18446744073709551615"],
    expected: new BigUint64Array([7n, 18446744073709551615n]),
  },
  {
    name: "INT8 bounds",
    datatype: "INT8",
    shape: [2],
    data: [-128, 127],
    expected: new Int8Array([-128, 127]),
  },
  {
    name: "INT16 bounds",
    datatype: "INT16",
    shape: [2],
    data: [-32768, 32767],
    expected: new Int16Array([-32768, 32767]),
  },
  {
    name: "INT32 bounds",
    datatype: "INT32",
    shape: [2],
    data: [-2147483648, 2147483647],
    expected: new Int32Array([-2147483648, 2147483647]),
  },
  {
    name: "INT64 beyond 2^53 as a string",
    datatype: "INT64",
    shape: [2],
    data: ["-9223372036854775808", "9007199254740993"],
    expected: new BigInt64Array([-9223372036854775808n, 9007199254740993n]),
  },
  {
    name: "FP16",
    datatype: "FP16",
    shape: [2],
    data: [1.5, -65504],
    expected: new Float16Array([1.5, -65504]),
  },
  {
    name: "FP32 nested",
    datatype: "FP32",
    shape: [2, 2],
    data: [[1, 2], [3, 4]],
    expected: new Float32Array([1, 2, 3, 4]),
  },
  {
    name: "FP32 partly nested",
    datatype: "FP32",
    shape: [2, 2, 2],
    data: [[1, 2, 3, 4], [5, 6, 7, 8]],
    expected: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]),
  },
  {
    name: "FP64 null, NaN and infinities",
    datatype: "FP64",
    shape: [4],
    data: [null, "NaN", "Infinity", "-Infinity"],
    expected: new Float64Array([NaN, NaN, Infinity, -Infinity]),
  },
  { name: "empty tensor", datatype: "FP32", shape: [0], data: [], expected: new Float32Array(0) },
  {
    name: "zero-sized inner dimension",
    datatype: "INT32",
    shape: [2, 0],
    data: [[], []],
    expected: new Int32Array(0),
  },
  { name: "scalar shape", datatype: "INT32", shape: [], data: [5], expected: new Int32Array([5]) },
  {
    name: "bare scalar data",
    datatype: "INT32",
    shape: [1],
    data: 5,
    expected: new Int32Array([5]),
  },
  {
    name: "BYTES nested",
    datatype: "BYTES",
    shape: [2, 1],
    data: [["a"], ["é"]],
    expected: ["a", "é"],
  },
];

Deno.test("decodeJsonTensor() decodes every datatype", async (t) => {
  for (const c of ACCEPTED) {
    await t.step(c.name, () => {
      assert.deepEqual(
        decodeJsonTensor({ name: "x", datatype: c.datatype, shape: c.shape, data: c.data }),
        c.expected,
      );
    });
  }
});

const REJECTED: (Omit<DecodeCase, "expected"> & { message: RegExp })[] = [
  {
    name: "too few elements",
    datatype: "FP32",
    shape: [2, 2],
    data: [1, 2, 3],
    message: /data has 3 elements, shape \[2,2\] needs 4/,
  },
  {
    name: "too many elements",
    datatype: "INT32",
    shape: [1],
    data: [1, 2],
    message: /data has 2 elements, shape \[1\] needs 1/,
  },
  {
    name: "nesting wider than shape",
    datatype: "FP32",
    shape: [2, 2],
    data: [[1, 2], [3, 4], [5, 6]],
    message: /3 items at depth 0, shape \[2,2\] needs 2/,
  },
  {
    name: "ragged rows",
    datatype: "FP32",
    shape: [2, 2],
    data: [[1, 2], [3]],
    message: /1 values at depth 1, shape \[2,2\] needs 2/,
  },
  {
    name: "nested deeper than shape",
    datatype: "FP32",
    shape: [2],
    data: [[1], [2]],
    message: /nested deeper than shape/,
  },
  {
    name: "mixed lists and values",
    datatype: "FP32",
    shape: [2, 1],
    data: [[1], 2],
    message: /mixes lists and values/,
  },
  {
    name: "string in FP32",
    datatype: "FP32",
    shape: [1],
    data: ["abc"],
    message: /element 0 is "abc", expected a number for FP32/,
  },
  {
    name: "FP32 overflow",
    datatype: "FP32",
    shape: [1],
    data: [1e39],
    message: /out of range for FP32/,
  },
  {
    name: "FP16 overflow",
    datatype: "FP16",
    shape: [1],
    data: [70000],
    message: /out of range for FP16/,
  },
  {
    name: "fraction in INT32",
    datatype: "INT32",
    shape: [1],
    data: [1.5],
    message: /expected an integer for INT32/,
  },
  {
    name: "UINT8 overflow",
    datatype: "UINT8",
    shape: [1],
    data: [256],
    message: /out of range for UINT8/,
  },
  {
    name: "negative UINT16",
    datatype: "UINT16",
    shape: [1],
    data: [-1],
    message: /out of range for UINT16/,
  },
  {
    name: "INT8 underflow",
    datatype: "INT8",
    shape: [1],
    data: [-129],
    message: /out of range for INT8/,
  },
  {
    name: "INT64 beyond its range",
    datatype: "INT64",
    shape: [1],
    data: ["9223372036854775808"],
    message: /out of range for INT64/,
  },
  {
    name: "BOOL from 2",
    datatype: "BOOL",
    shape: [1],
    data: [2],
    message: /expected true or false for BOOL/,
  },
  {
    name: "number in BYTES",
    datatype: "BYTES",
    shape: [1],
    data: [3],
    message: /expected a string for BYTES/,
  },
  {
    name: "object element",
    datatype: "FP64",
    shape: [1],
    data: [{}],
    message: /element 0 is an object/,
  },
  {
    name: "missing data",
    datatype: "FP32",
    shape: [1],
    data: undefined,
    message: /data is missing/,
  },
  {
    name: "shape too large",
    datatype: "FP32",
    shape: [2 ** 40, 2 ** 40],
    data: [],
    message: /holds too many elements/,
  },
];

Deno.test("decodeJsonTensor() rejects bad data with a 400 naming the input", async (t) => {
  for (const c of REJECTED) {
    await t.step(c.name, () => {
      assert.throws(
        () =>
          decodeJsonTensor({
            name: "features",
            datatype: c.datatype,
            shape: c.shape,
            data: c.data,
          }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidRequestError);
          assert.match(err.message, /^Input 'features': /);
          assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }
});

Deno.test("decodeJsonTensor() takes the fast path and the checked path to the same result", () => {
  const data = Array.from({ length: 1000 }, (_, i) => i / 7);
  const flat = decodeJsonTensor({ name: "x", datatype: "FP32", shape: [1000], data });
  // A NaN written as null forces the per-element path for the whole tensor.
  const slow = decodeJsonTensor({
    name: "x",
    datatype: "FP32",
    shape: [1001],
    data: [...data, null],
  });
  assert.deepEqual((slow as Float32Array).subarray(0, 1000), flat);
});

Deno.test("decodeJsonTensor() takes bigints from parseJson exactly, and refuses them where they cannot fit", async (t) => {
  const cases: { name: string; datatype: Datatype; data: unknown[]; expected: unknown }[] = [
    {
      name: "INT64 extremes",
      datatype: "INT64",
      data: [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n],
      expected: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n]),
    },
    {
      name: "UINT64 top",
      datatype: "UINT64",
      data: [2n ** 64n - 1n, 2n ** 63n, 5],
      expected: new BigUint64Array([2n ** 64n - 1n, 2n ** 63n, 5n]),
    },
    {
      name: "FP64 rounds",
      datatype: "FP64",
      data: [2n ** 64n],
      expected: new Float64Array([2 ** 64]),
    },
    {
      name: "INT64 past the top",
      datatype: "INT64",
      data: [2n ** 63n],
      expected: /out of range for INT64/,
    },
    {
      name: "UINT64 past the top",
      datatype: "UINT64",
      data: [2n ** 64n],
      expected: /out of range/,
    },
    {
      name: "INT32",
      datatype: "INT32",
      data: [2n ** 53n + 1n],
      expected: /9007199254740993, out of range/,
    },
    { name: "BOOL", datatype: "BOOL", data: [2n ** 60n], expected: /expected true or false/ },
    {
      name: "BYTES",
      datatype: "BYTES",
      data: [2n ** 60n],
      expected: /expected a string for BYTES/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const tensor = { name: "x", datatype: c.datatype, shape: [c.data.length], data: c.data };
      if (c.expected instanceof RegExp) {
        assert.throws(() => decodeJsonTensor(tensor), c.expected);
      } else {
        assert.deepEqual(decodeJsonTensor(tensor), c.expected);
      }
    });
  }
});

Deno.test("decodeJsonTensor() checks nesting no deeper than the shape's rank", async (t) => {
  const deep = (depth: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };
  // Deep enough to overflow the stack if every level were a call.
  for (
    const [shape, message] of [
      [[2], /nested deeper than shape \[2\]/],
      [[1, 2], /nested deeper than shape \[1,2\]/],
      [[3, 1], /data has 1 items at depth 0, shape \[3,1\] needs 3/],
    ] as const
  ) {
    await t.step(`shape [${shape}]`, () => {
      assert.throws(
        () => decodeJsonTensor({ name: "x", datatype: "FP32", shape, data: deep(200_000) }),
        (err: unknown) => err instanceof InvalidRequestError && message.test(err.message),
      );
    });
  }
});
