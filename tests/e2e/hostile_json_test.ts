/**
 * Hostile JSON inference bodies over REST, end to end: malformed JSON, wrong
 * types, shape and data that disagree, huge declared shapes with little
 * data, deep nesting, duplicate names and 64-bit extremes. Every case is
 * answered with its status and a bounded `{"error"}` body without stack
 * traces or paths, and the server answers afterwards.
 */
import assert from "node:assert/strict";
import { startServer, withTmpDir } from "../_helpers.ts";
import {
  type FetchCase,
  hostileModels,
  inferBody,
  input,
  MAX_REQUEST_SIZE,
  nested,
  runFetchCase,
} from "./_hostile.ts";

const utf8 = new TextEncoder();
const FP32_1 = input("FP32", [1], [1]);

const MALFORMED_JSON: FetchCase[] = [
  { name: "an unclosed object", body: "{", status: 400, error: /^Invalid JSON: / },
  { name: "a list closed by a brace", body: '{"inputs":[}', status: 400, error: /^Invalid JSON/ },
  { name: "a trailing comma", body: '{"inputs":[],}', status: 400, error: /^Invalid JSON/ },
  { name: "single quotes", body: "{'inputs':[]}", status: 400, error: /^Invalid JSON/ },
  {
    name: "a NaN literal",
    body: '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[NaN]}]}',
    status: 400,
    error: /^Invalid JSON/,
  },
  { name: "undefined", body: '{"inputs":undefined}', status: 400, error: /^Invalid JSON/ },
  { name: "an empty body", body: "", status: 400, error: /^Invalid JSON: the body is empty$/ },
  { name: "only whitespace", body: " \n\t ", status: 400, error: /the body is empty/ },
  { name: "a comment", body: '// hi\n{"inputs":[]}', status: 400, error: /^Invalid JSON/ },
  {
    name: "bytes that are not UTF-8",
    body: new Uint8Array([0x7b, 0xff, 0x7d]),
    status: 400,
    error: /not valid UTF-8/,
  },
  {
    name: "UTF-16 with a byte-order mark",
    body: new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    status: 400,
    error: /not valid UTF-8/,
  },
  { name: "a truncated body", body: '{"inputs":[{"name":"x"', status: 400, error: /^Invalid JSON/ },
  { name: "a raw newline in a string", body: '{"id":"a\nb"}', status: 400, error: /Invalid JSON/ },
  {
    name: "100,000 unclosed lists",
    body: () => "[".repeat(100_000),
    status: 400,
    error: /^Invalid JSON/,
  },
  { name: "null", body: "null", status: 400, error: /expected a JSON object/ },
  { name: "a list", body: "[]", status: 400, error: /expected a JSON object/ },
  { name: "a string", body: '"inputs"', status: 400, error: /expected a JSON object/ },
  { name: "a number", body: "12345", status: 400, error: /expected a JSON object/ },
  {
    name: "a duplicate key: the last one counts",
    body: '{"inputs":[],"inputs":5}',
    status: 400,
    error: /inputs: expected a list/,
  },
  {
    name: "a __proto__ key is data, not a prototype",
    body: '{"__proto__":{"inputs":[]}}',
    status: 400,
    error: /inputs: required but missing/,
  },
  {
    name: "a __proto__ key inside an input pollutes nothing",
    body: '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],"__proto__":{"p":1}}]}',
    status: 200,
    check: () => assert.equal(({} as Record<string, unknown>).p, undefined),
  },
  {
    name: "1e999 is out of range for FP32",
    body: '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1e999]}]}',
    status: 400,
    error: /element 0 is Infinity, out of range for FP32/,
  },
  {
    name: "a UTF-8 byte-order mark is skipped",
    body: new Uint8Array([0xef, 0xbb, 0xbf, ...utf8.encode(inferBody([FP32_1]))]),
    status: 200,
  },
  {
    name: "a lone surrogate in a BYTES element",
    body: '{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["\\ud800"]}]}',
    status: 200,
    check: (text) => assert.match(text, /"data":\["\\ud800"\]/),
  },
];

const WRONG_TYPES: FetchCase[] = [
  {
    name: "inputs an object",
    body: '{"inputs":{}}',
    status: 400,
    error: /inputs: expected a list/,
  },
  { name: "inputs missing", body: "{}", status: 400, error: /inputs: required but missing/ },
  { name: "an input a number", body: '{"inputs":[1]}', status: 400, error: /expected an object/ },
  { name: "an input null", body: '{"inputs":[null]}', status: 400, error: /expected an object/ },
  {
    name: "a number for a name",
    body: inferBody([{ ...FP32_1, name: 7 }]),
    status: 400,
    error: /inputs\[0\]\.name: expected a string, got 7/,
  },
  {
    name: "no name",
    body: inferBody([{ datatype: "FP32", shape: [1], data: [1] }]),
    status: 400,
    error: /inputs\[0\]\.name: required but missing/,
  },
  {
    name: "a name of 2,000 characters",
    body: inferBody([{ ...FP32_1, name: "n".repeat(2000) }]),
    status: 400,
    error: /longer than 1024 characters/,
  },
  {
    name: "a lower-case datatype",
    body: inferBody([input("fp32", [1], [1])]),
    status: 400,
    error: /unknown datatype "fp32"/,
  },
  {
    name: "a number for a datatype",
    body: inferBody([input(7 as unknown as string, [1], [1])]),
    status: 400,
    error: /unknown datatype 7/,
  },
  {
    name: "a datatype of 100,000 characters is quoted short",
    body: () => inferBody([input("F".repeat(100_000), [1], [1])]),
    status: 400,
    error: /unknown datatype "F{39}… \(expected one of BOOL/,
  },
  {
    name: "no datatype",
    body: inferBody([{ name: "x", shape: [1], data: [1] }]),
    status: 400,
    error: /datatype: required but missing/,
  },
  {
    name: "a string for a shape",
    body: inferBody([input("FP32", "3", [1])]),
    status: 400,
    error: /shape: expected a list/,
  },
  {
    name: "a negative dimension",
    body: inferBody([input("FP32", [-1], [1])]),
    status: 400,
    error: /shape\[0\]: expected a non-negative integer, got -1/,
  },
  {
    name: "a fractional dimension",
    body: inferBody([input("FP32", [1.5], [1])]),
    status: 400,
    error: /shape\[0\]: expected a non-negative integer, got 1.5/,
  },
  {
    name: "a string dimension",
    body: inferBody([input("FP32", ["1"], [1])]),
    status: 400,
    error: /shape\[0\]: expected a non-negative integer, got "1"/,
  },
  {
    name: "a list as a dimension",
    body: `{"inputs":[{"name":"x","datatype":"FP32","shape":${nested(50)},"data":[1]}]}`,
    status: 400,
    error: /shape\[0\]: expected a non-negative integer, got a list/,
  },
  {
    name: "65 dimensions",
    body: inferBody([input("FP32", new Array(65).fill(1), [1])]),
    status: 400,
    error: /more than 64 dimensions/,
  },
  {
    name: "a dimension past 2^53",
    body: inferBody([input("FP32", [9007199254740993], [1])]),
    status: 400,
    error: /shape\[0\]: expected a non-negative integer/,
  },
  { name: "a number for an id", body: '{"id":5,"inputs":[]}', status: 400, error: /id: expected/ },
  {
    name: "an id of 2,000 characters",
    body: inferBody([], { id: "i".repeat(2000) }),
    status: 400,
    error: /id: longer than 1024 characters/,
  },
  {
    name: "parameters a list",
    body: inferBody([], { parameters: [1] }),
    status: 400,
    error: /parameters: expected an object/,
  },
  {
    name: "a number for content_type",
    body: inferBody([], { parameters: { content_type: 1 } }),
    status: 400,
    error: /parameters\.content_type: expected a string, got 1/,
  },
  {
    name: "input parameters a string",
    body: inferBody([{ ...FP32_1, parameters: "np" }]),
    status: 400,
    error: /inputs\[0\]\.parameters: expected an object/,
  },
  {
    name: "outputs an object",
    body: inferBody([FP32_1], { outputs: {} }),
    status: 400,
    error: /outputs: expected a list/,
  },
  {
    name: "an output without a name",
    body: inferBody([FP32_1], { outputs: [{}] }),
    status: 400,
    error: /outputs\[0\]\.name: required but missing/,
  },
  {
    name: "data an object",
    body: inferBody([input("FP32", [1], { a: 1 })]),
    status: 400,
    error: /element 0 is an object, expected a number for FP32/,
  },
  {
    name: "a word for FP32",
    body: inferBody([input("FP32", [1], "abc")]),
    status: 400,
    error: /element 0 is "abc", expected a number for FP32/,
  },
  {
    name: "a boolean for INT32",
    body: inferBody([input("INT32", [1], [true])]),
    status: 400,
    error: /element 0 is true, expected an integer for INT32/,
  },
  {
    name: "a numeric string for INT32",
    body: inferBody([input("INT32", [1], ["1"])]),
    status: 400,
    error: /expected an integer for INT32/,
  },
  {
    name: "a fraction for INT32",
    body: inferBody([input("INT32", [1], [1.5])]),
    status: 400,
    error: /element 0 is 1.5, expected an integer/,
  },
  {
    name: "300 for INT8",
    body: inferBody([input("INT8", [1], [300])]),
    status: 400,
    error: /out of range for INT8/,
  },
  {
    name: "-1 for UINT8",
    body: inferBody([input("UINT8", [1], [-1])]),
    status: 400,
    error: /out of range for UINT8/,
  },
  {
    name: "2 for BOOL",
    body: inferBody([input("BOOL", [1], [2])]),
    status: 400,
    error: /expected true or false for BOOL/,
  },
  {
    name: "a number for BYTES",
    body: inferBody([input("BYTES", [1], [1])]),
    status: 400,
    error: /expected a string for BYTES/,
  },
  {
    name: "null for INT32",
    body: inferBody([input("INT32", [1], [null])]),
    status: 400,
    error: /element 0 is null/,
  },
  {
    name: "70000 for FP16",
    body: inferBody([input("FP16", [1], [70000])]),
    status: 400,
    error: /out of range for FP16/,
  },
  {
    name: "no data",
    body: inferBody([{ name: "x", datatype: "FP32", shape: [1] }]),
    status: 400,
    error: /Input 'x': data is missing/,
  },
  {
    name: "NaN and infinities as words are FP32 values",
    body: inferBody([input("FP32", [3], ["NaN", "inf", "-Infinity"])]),
    status: 200,
    check: (text) => assert.match(text, /"data":\[null,null,null\]/),
  },
  {
    name: "50,000 empty inputs: a short message and a count",
    body: () => `{"inputs":[${new Array(50_000).fill("{}").join(",")}]}`,
    status: 400,
    error: /; and 149990 more problem\(s\)$/,
    check: (text) => assert.ok(text.length < 2048, `${text.length} characters`),
  },
];

const SHAPE_MISMATCH: FetchCase[] = [
  {
    name: "too few values",
    body: inferBody([input("FP32", [3], [1, 2])]),
    status: 400,
    error: /data has 2 elements, shape \[3\] needs 3/,
  },
  {
    name: "too many values",
    body: inferBody([input("FP32", [2], [1, 2, 3])]),
    status: 400,
    error: /data has 3 elements/,
  },
  {
    name: "a short row",
    body: inferBody([input("FP32", [2, 2], [[1, 2], [3]])]),
    status: 400,
    error: /Input 'x': data has 1 values at depth 1/,
  },
  {
    name: "lists and values mixed",
    body: inferBody([input("FP32", [2, 2], [[1, 2], 3])]),
    status: 400,
    error: /data mixes lists and values at depth 1/,
  },
  {
    name: "nested deeper than the shape",
    body: inferBody([input("FP32", [2], [[1], [2]])]),
    status: 400,
    error: /nested deeper than shape \[2\]/,
  },
  {
    name: "nested deeper than a two-dimensional shape",
    body: inferBody([input("FP32", [2, 2], [[[1, 2]], [[3, 4]]])]),
    status: 400,
    error: /nested deeper than shape \[2,2\]/,
  },
  {
    name: "a ragged list",
    body: inferBody([input("FP32", [2, 2], [[1, 2], [3, 4, 5]])]),
    status: 400,
    error: /Input 'x': data/,
  },
  {
    name: "values for an empty shape",
    body: inferBody([input("FP32", [0], [1])]),
    status: 400,
    error: /shape \[0\] needs 0/,
  },
  {
    name: "a scalar for shape []",
    body: inferBody([input("FP32", [], 5)]),
    status: 200,
    check: (text) => assert.match(text, /"shape":\[\],"datatype":"FP32","data":\[5\]/),
  },
  {
    name: "two values for shape []",
    body: inferBody([input("FP32", [], [1, 2])]),
    status: 400,
    error: /shape \[\] needs 1/,
  },
];

const HUGE_SHAPES: FetchCase[] = [
  {
    name: "a trillion FP32 elements declared, one sent",
    body: inferBody([input("FP32", [1e12], [1])]),
    status: 400,
    error: /Input 'x': data has 1 elements, shape \[1000000000000\] needs 1000000000000/,
  },
  {
    name: "2^93 elements declared",
    body: inferBody([input("FP32", [2 ** 31, 2 ** 31, 2 ** 31], [1])]),
    status: 400,
    error: /holds too many elements/,
  },
  {
    name: "64 dimensions of 2",
    body: inferBody([input("INT8", new Array(64).fill(2), [1])]),
    status: 400,
    error: /holds too many elements/,
  },
  {
    name: "four billion BYTES declared, one sent",
    body: inferBody([input("BYTES", [4e9], ["a"])]),
    status: 400,
    error: /shape \[4000000000\] needs 4000000000/,
  },
  {
    name: "a huge shape of nested data",
    body: inferBody([input("FP32", [1e6, 1e6], [[1]])]),
    status: 400,
    error: /Input 'x': data has 1 items at depth 0/,
  },
  {
    name: "zero elements in a shape with a huge dimension",
    body: inferBody([input("FP32", [0, 1e15], [])]),
    status: 200,
    check: (text) => assert.match(text, /"shape":\[0,1000000000000000\]/),
  },
  {
    name: "a million empty BYTES elements that match their shape",
    body: () => inferBody([input("BYTES", [1_000_000], new Array(1_000_000).fill(""))]),
    status: 200,
  },
];

const DEEP_NESTING: FetchCase[] = [
  {
    name: "data nested 9,500 levels deep (was a 500)",
    body: `{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":${nested(9_500)}}]}`,
    status: 400,
    error: /Input 'x': data is nested deeper than shape \[2\]/,
  },
  {
    name: "data nested a million levels deep",
    body: () =>
      `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":${nested(1_000_000)}}]}`,
    status: 400,
    error: /Input 'x': data is nested deeper than shape \[1,2\]/,
  },
  {
    name: "INT64 data with long integers nested 100,000 levels deep",
    body: () =>
      `{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"data":${
        nested(100_000, "9223372036854775807")
      }}]}`,
    status: 400,
    error: /nested deeper than shape \[2\]/,
  },
  {
    name: "a ragged tensor whose first row is deep",
    body: () =>
      `{"inputs":[{"name":"x","datatype":"FP32","shape":[3,1],"data":[${nested(50_000)},[1]]}]}`,
    status: 400,
    error: /data has 2 items at depth 0, shape \[3,1\] needs 3/,
  },
  {
    name: "an input nested 100,000 levels deep",
    body: () => `{"inputs":${nested(100_000)}}`,
    status: 400,
    error: /inputs\[0\]: expected an object/,
  },
  {
    name: "parameters nested 100,000 levels deep are the model's business",
    body: () => `{"parameters":{"deep":${nested(100_000)}},"inputs":[${JSON.stringify(FP32_1)}]}`,
    status: 200,
  },
];

const DUPLICATES: FetchCase[] = [
  {
    name: "two inputs named x",
    body: inferBody([FP32_1, FP32_1]),
    status: 400,
    error: /inputs\[1\]\.name: duplicate input name "x"/,
  },
  {
    name: "the twentieth input repeats the first",
    body: inferBody([
      ...Array.from({ length: 19 }, (_, i) => ({ ...FP32_1, name: `in${i}` })),
      { ...FP32_1, name: "in0" },
    ]),
    status: 400,
    error: /inputs\[19\]\.name: duplicate input name "in0"/,
  },
  {
    name: "names that differ only in case are distinct",
    body: inferBody([FP32_1, { ...FP32_1, name: "X" }]),
    status: 200,
  },
];

const INT64 = (datatype: string, literals: string) =>
  `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[${
    literals.split(",").length
  }],"data":[${literals}]}]}`;

const EXTREMES: FetchCase[] = [
  {
    name: "INT64 at both ends",
    body: INT64("INT64", "-9223372036854775808,9223372036854775807,9007199254740993"),
    status: 200,
    check: (text) =>
      assert.match(text, /"data":\[-9223372036854775808,9223372036854775807,9007199254740993\]/),
  },
  {
    name: "2^63 for INT64",
    body: INT64("INT64", "9223372036854775808"),
    status: 400,
    error: /element 0 is 9223372036854775808, out of range for INT64/,
  },
  {
    name: "-2^63-1 for INT64",
    body: INT64("INT64", "-9223372036854775809"),
    status: 400,
    error: /out of range for INT64/,
  },
  {
    name: "UINT64 at the top",
    body: INT64("UINT64", "18446744073709551615,9223372036854775808"),
    status: 200,
    check: (text) => assert.match(text, /"data":\[18446744073709551615,9223372036854775808\]/),
  },
  {
    name: "2^64 for UINT64",
    body: INT64("UINT64", "18446744073709551616"),
    status: 400,
    error: /element 0 is 18446744073709551616, out of range for UINT64/,
  },
  { name: "-1 for UINT64", body: INT64("UINT64", "-1"), status: 400, error: /out of range/ },
  {
    name: "a fraction for INT64",
    body: INT64("INT64", "1.5"),
    status: 400,
    error: /expected an integer for INT64/,
  },
  {
    name: "2^53+1 for INT32",
    body: INT64("INT32", "9007199254740993"),
    status: 400,
    error: /out of range for INT32/,
  },
  {
    name: "1e19 for INT64",
    body: INT64("INT64", "1e19"),
    status: 400,
    error: /out of range for INT64/,
  },
  {
    name: "INT64 as strings",
    body: INT64("INT64", '"9223372036854775807","-9223372036854775808"'),
    status: 200,
    check: (text) => assert.match(text, /"data":\[9223372036854775807,-9223372036854775808\]/),
  },
  {
    name: "a long integer for FP64 next to INT64 data",
    body: `{"inputs":[${JSON.stringify(input("INT64", [1], [1], "i"))},${
      JSON.stringify(input("FP64", [1], [1], "f")).replace(
        '"data":[1]',
        '"data":[18446744073709551615]',
      )
    }]}`,
    status: 200,
    check: (text) => assert.match(text, /"data":\[18446744073709552000\]/),
  },
  {
    name: "a long integer for BOOL next to INT64 data",
    body: `{"inputs":[${JSON.stringify(input("INT64", [1], [1], "i"))},{"name":"b",` +
      `"datatype":"BOOL","shape":[1],"data":[18446744073709551615]}]}`,
    status: 400,
    error: /Input 'b': element 0 is 18446744073709551615, expected true or false/,
  },
  {
    name: "a long integer as a binary_data_size",
    body: `{"inputs":[{"name":"x","datatype":"INT64","shape":[1],` +
      `"parameters":{"binary_data_size":18446744073709551615}}]}`,
    status: 400,
    error: /binary_data_size must be a non-negative integer, got 18446744073709551615/,
  },
];

Deno.test("REST answers hostile JSON bodies with bounded 4xx errors and keeps serving", async (t) => {
  await using dir = await withTmpDir();
  await hostileModels(dir.path);
  await using srv = await startServer(dir.path, {
    settings: { max_request_size: MAX_REQUEST_SIZE },
  });
  const groups: [string, FetchCase[]][] = [
    ["malformed JSON", MALFORMED_JSON],
    ["wrong types", WRONG_TYPES],
    ["shape and data disagree", SHAPE_MISMATCH],
    ["huge declared shapes", HUGE_SHAPES],
    ["deep nesting", DEEP_NESTING],
    ["duplicate names", DUPLICATES],
    ["64-bit extremes", EXTREMES],
  ];
  for (const [group, cases] of groups) {
    for (const c of cases) {
      await t.step(`${group}: ${c.name} -> ${c.status}`, () => runFetchCase(srv.url, c));
    }
  }
});
