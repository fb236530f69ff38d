/**
 * The scikit-learn runtime's pickle reader: every opcode it implements, on
 * hand-assembled pickles; numpy arrays in the layouts Python writes
 * (protocols 2 and 5, out-of-band buffers, joblib plain and compressed);
 * and the refusals: globals outside the allow-list, persistent ids,
 * extension codes, malformed input.
 */
import assert from "node:assert/strict";
import { ByteStream } from "../../runtimes/sklearn/byte_stream.ts";
import { type GlobalResolver, readPickle } from "../../runtimes/sklearn/pickle_reader.ts";
import { PyGlobal, PyObject, PySlice } from "../../runtimes/sklearn/py_values.ts";
import { elements, NdArray } from "../../runtimes/sklearn/ndarray.ts";
import {
  detectCompression,
  pickleBytes,
  readModelFile,
} from "../../runtimes/sklearn/model_file.ts";
import { RefusedGlobalError, sklearnResolver } from "../../runtimes/sklearn/safe_globals.ts";
import { SKLEARN_CLASSES } from "../../runtimes/sklearn/estimators.ts";
import { fixture } from "../_helpers.ts";
import { EXPECTED } from "./_sklearn.ts";

const enc = new TextEncoder();

/** Bytes from numbers, strings (latin-1) and byte arrays. */
function bytes(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") out.push(part);
    else if (typeof part === "string") { for (const c of part) out.push(c.charCodeAt(0)); }
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

const u32 = (n: number) => bytes(n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255);
const u64 = (n: number) => bytes(u32(n), u32(0));

/** A resolver allowing only `test.Thing` (as data) and `test.make` (returns its arguments). */
const testResolver: GlobalResolver = (module, name) => {
  if (module === "test" && name === "Thing") {
    const ref = new PyGlobal(module, name);
    return { call: (args, kwargs) => new PyObject(ref, args, kwargs) };
  }
  if (module === "test" && name === "make") return { call: (args) => ({ made: args }) };
  throw new Error(`refused ${module}.${name}`);
};

function read(data: Uint8Array, buffers?: Uint8Array[]): unknown {
  return readPickle(new ByteStream(data), {
    resolve: testResolver,
    ...(buffers ? { buffers } : {}),
  });
}

type Case = { name: string; pickle: Uint8Array; expected: unknown; buffers?: Uint8Array[] };

const CASES: Case[] = [
  { name: "PROTO, NONE, STOP", pickle: bytes(0x80, 2, "N."), expected: null },
  { name: "FRAME is skipped", pickle: bytes(0x80, 4, 0x95, u64(2), "N."), expected: null },
  { name: "NEWTRUE / NEWFALSE", pickle: bytes(0x88, 0x89, 0x86, "."), expected: [true, false] },
  { name: "BININT1", pickle: bytes("K", 200, "."), expected: 200 },
  { name: "BININT2", pickle: bytes("M", 0x34, 0x12, "."), expected: 0x1234 },
  { name: "BININT (negative)", pickle: bytes("J", 0xfe, 0xff, 0xff, 0xff, "."), expected: -2 },
  { name: "LONG1 negative", pickle: bytes(0x8a, 2, 0x00, 0xff, "."), expected: -256 },
  { name: "LONG1 empty is 0", pickle: bytes(0x8a, 0, "."), expected: 0 },
  {
    name: "LONG1 past 2^53 is a bigint",
    pickle: bytes(0x8a, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, "."),
    expected: 2n ** 63n - 1n,
  },
  { name: "LONG4", pickle: bytes(0x8b, u32(2), 0x01, 0x01, "."), expected: 257 },
  { name: "INT text", pickle: bytes("I-42\n."), expected: -42 },
  { name: "INT 01 is True (protocol 0)", pickle: bytes("I01\n."), expected: true },
  {
    name: "LONG text",
    pickle: bytes("L12345678901234567890L\n."),
    expected: 12345678901234567890n,
  },
  {
    name: "BINFLOAT (big-endian)",
    pickle: bytes("G", 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, "."),
    expected: 1.5,
  },
  { name: "FLOAT text", pickle: bytes("F-0.125\n."), expected: -0.125 },
  { name: "FLOAT nan", pickle: bytes("Fnan\n."), expected: NaN },
  { name: "BINUNICODE (UTF-8)", pickle: bytes("X", u32(3), enc.encode("é!"), "."), expected: "é!" },
  { name: "SHORT_BINUNICODE", pickle: bytes(0x8c, 2, "hi."), expected: "hi" },
  { name: "BINUNICODE8", pickle: bytes(0x8d, u64(1), "z."), expected: "z" },
  { name: "UNICODE raw-unicode-escape", pickle: bytes("Va\\u00e9\\u000ab\n."), expected: "aé\nb" },
  { name: "BINSTRING (latin-1)", pickle: bytes("T", u32(2), 0xe9, "x."), expected: "éx" },
  { name: "SHORT_BINSTRING", pickle: bytes("U", 1, "q."), expected: "q" },
  { name: "STRING quoted with escapes", pickle: bytes("S'a\\nb\\x41'\n."), expected: "a\nbA" },
  { name: "BINBYTES", pickle: bytes("B", u32(2), 1, 2, "."), expected: Uint8Array.of(1, 2) },
  { name: "SHORT_BINBYTES", pickle: bytes("C", 1, 9, "."), expected: Uint8Array.of(9) },
  { name: "BINBYTES8", pickle: bytes(0x8e, u64(1), 7, "."), expected: Uint8Array.of(7) },
  { name: "BYTEARRAY8", pickle: bytes(0x96, u64(2), 5, 6, "."), expected: Uint8Array.of(5, 6) },
  {
    name: "NEXT_BUFFER and READONLY_BUFFER",
    pickle: bytes(0x97, 0x98, "."),
    buffers: [Uint8Array.of(4, 2)],
    expected: Uint8Array.of(4, 2),
  },
  { name: "EMPTY_TUPLE", pickle: bytes(")."), expected: [] },
  { name: "TUPLE1", pickle: bytes("K", 1, 0x85, "."), expected: [1] },
  { name: "TUPLE3", pickle: bytes("K", 1, "K", 2, "K", 3, 0x87, "."), expected: [1, 2, 3] },
  { name: "MARK ... TUPLE", pickle: bytes("(K", 1, "K", 2, "t."), expected: [1, 2] },
  { name: "MARK ... LIST", pickle: bytes("(K", 1, "l."), expected: [1] },
  { name: "EMPTY_LIST, APPEND", pickle: bytes("]K", 1, "a."), expected: [1] },
  { name: "APPENDS", pickle: bytes("](K", 1, "K", 2, "e."), expected: [1, 2] },
  {
    name: "EMPTY_DICT, SETITEM",
    pickle: bytes("}", 0x8c, 1, "a", "K", 1, "s."),
    expected: new Map([["a", 1]]),
  },
  {
    name: "SETITEMS",
    pickle: bytes("}(", 0x8c, 1, "a", "K", 1, 0x8c, 1, "b", "N", "u."),
    expected: new Map<string, unknown>([["a", 1], ["b", null]]),
  },
  { name: "MARK ... DICT", pickle: bytes("(K", 1, "K", 2, "d."), expected: new Map([[1, 2]]) },
  {
    name: "EMPTY_SET, ADDITEMS",
    pickle: bytes(0x8f, "(K", 1, "K", 2, 0x90, "."),
    expected: new Set([1, 2]),
  },
  { name: "FROZENSET", pickle: bytes("(K", 3, 0x91, "."), expected: new Set([3]) },
  { name: "PUT / GET", pickle: bytes("K", 5, "p7\n0g7\n."), expected: 5 },
  { name: "BINPUT / BINGET", pickle: bytes("K", 5, "q", 3, "0h", 3, "."), expected: 5 },
  {
    name: "LONG_BINPUT / LONG_BINGET",
    pickle: bytes("K", 5, "r", u32(300), "0j", u32(300), "."),
    expected: 5,
  },
  {
    name: "MEMOIZE numbers in order",
    pickle: bytes("K", 1, 0x94, "K", 2, 0x94, "0h", 0, "."),
    expected: 1,
  },
  { name: "DUP", pickle: bytes("K", 4, "2", 0x86, "."), expected: [4, 4] },
  { name: "POP", pickle: bytes("K", 1, "K", 2, "0."), expected: 1 },
  { name: "POP_MARK", pickle: bytes("K", 1, "(K", 2, "K", 3, "1."), expected: 1 },
  {
    name: "GLOBAL + REDUCE",
    pickle: bytes("ctest\nmake\n(K", 1, "tR."),
    expected: { made: [1] },
  },
  {
    name: "STACK_GLOBAL + REDUCE",
    pickle: bytes(0x8c, 4, "test", 0x8c, 4, "make", 0x93, "K", 2, 0x85, "R."),
    expected: { made: [2] },
  },
  { name: "INST", pickle: bytes("(K", 9, "itest\nmake\n."), expected: { made: [9] } },
  { name: "OBJ", pickle: bytes("(ctest\nmake\nK", 8, "o."), expected: { made: [8] } },
];

Deno.test("readPickle() interprets each opcode into plain data", async (t) => {
  for (const { name, pickle, expected, buffers } of CASES) {
    await t.step(name, () => assert.deepEqual(read(pickle, buffers), expected));
  }
});

Deno.test("readPickle() builds allowed objects: NEWOBJ, NEWOBJ_EX, BUILD, dict and list items", () => {
  const newobj = read(bytes("ctest\nThing\n)", 0x81, "}", 0x8c, 1, "x", "K", 1, "sb.")) as PyObject;
  assert.ok(newobj instanceof PyObject);
  assert.equal(newobj.cls.qualified, "test.Thing");
  assert.deepEqual(newobj.attributes, new Map([["x", 1]]));
  const ex = read(
    bytes("ctest\nThing\nK", 1, 0x85, "}", 0x8c, 1, "k", "K", 2, "s", 0x92, "."),
  ) as PyObject;
  assert.deepEqual([ex.args, ex.kwargs], [[1], new Map([["k", 2]])]);
  // BUILD with (dict, slots): both halves become attributes.
  const slots = read(
    bytes(
      "ctest\nThing\n)",
      0x81,
      "}",
      0x8c,
      1,
      "a",
      "K",
      1,
      "s}",
      0x8c,
      1,
      "b",
      "K",
      2,
      "s",
      0x86,
      "b.",
    ),
  );
  assert.deepEqual((slots as PyObject).attributes, new Map([["a", 1], ["b", 2]]));
  const items = read(bytes("ctest\nThing\n)", 0x81, "K", 1, "aK", 2, "K", 3, "s.")) as PyObject;
  assert.deepEqual([items.listItems, items.dictItems], [[1], new Map([[2, 3]])]);
});

Deno.test("readPickle() refuses what it cannot read safely, naming the reason", async (t) => {
  const table: [string, Uint8Array, RegExp][] = [
    ["a global the resolver refuses", bytes("cos\nsystem\n."), /refused os\.system/],
    ["PERSID", bytes("P1\n."), /persistent ids \(opcode PERSID/],
    ["BINPERSID", bytes("K", 1, "Q."), /persistent ids \(opcode BINPERSID/],
    ["EXT1", bytes(0x82, 1, "."), /extension registry/],
    ["an unknown opcode", bytes(0xff), /unknown opcode 0xff at 0/],
    ["protocol 6", bytes(0x80, 6, "N."), /Unsupported pickle protocol 6/],
    ["a truncated length", bytes("X", u32(100), "ab"), /Cannot read 100 bytes at offset 5/],
    ["the end of the file", bytes("K"), /Cannot read 1 bytes/],
    ["STOP on an empty stack", bytes("."), /stack underflow/],
    ["a missing memo entry", bytes("h", 4, "."), /memo 4 is not set/],
    ["NEXT_BUFFER without buffers", bytes(0x97, "."), /out-of-band buffer that was not given/],
    ["REDUCE on a non-callable", bytes("K", 1, ")R."), /no allowed callable/],
    ["TUPLE without MARK", bytes("t."), /no MARK/],
  ];
  for (const [name, pickle, message] of table) {
    await t.step(name, () => assert.throws(() => read(pickle), message));
  }
});

Deno.test("readModelFile() rebuilds numpy arrays from protocols 2 and 5 and joblib files", async (t) => {
  const layouts = EXPECTED._numpy_layouts as Record<string, { shape: number[]; values: unknown[] }>;
  for (
    const file of [
      "numpy_layouts.p2.pkl",
      "numpy_layouts.p5.pkl",
      "numpy_layouts.joblib",
      "numpy_layouts.zlib.joblib",
    ]
  ) {
    await t.step(file, async () => {
      const value = await readModelFile(fixture("sklearn", file), SKLEARN_CLASSES) as Map<
        string,
        unknown
      >;
      for (const [key, { shape, values }] of Object.entries(layouts)) {
        const got = value.get(key);
        if (shape.length === 0) {
          assert.equal(got, values[0], key);
          continue;
        }
        assert.ok(got instanceof NdArray, key);
        assert.deepEqual(got.shape, shape, key);
        if (key === "records") {
          const { fieldFloat64 } = await import("../../runtimes/sklearn/ndarray.ts");
          const rows = values as number[][];
          assert.deepEqual(Array.from(fieldFloat64(got, "a")), rows.map((r) => r[0]));
          assert.deepEqual(Array.from(fieldFloat64(got, "b")), rows.map((r) => r[1]));
        } else {
          assert.deepEqual(elements(got), values, key);
        }
      }
    });
  }
});

Deno.test("readPickle() reads a protocol 5 array whose bytes are an out-of-band buffer", async () => {
  const data = await Deno.readFile(fixture("sklearn", "out_of_band.p5.pkl"));
  const buffer = await Deno.readFile(fixture("sklearn", "out_of_band.p5.buffer"));
  const stream = new ByteStream(data);
  const resolve = sklearnResolver(SKLEARN_CLASSES);
  const array = readPickle(stream, { resolve, buffers: [buffer] }) as NdArray;
  assert.deepEqual(elements(array), EXPECTED._numpy_layouts.float64.values);
  assert.throws(() => readPickle(new ByteStream(data), { resolve }), /out-of-band buffer/);
});

Deno.test("sklearnResolver() refuses every global outside the allow-list, naming it", async (t) => {
  const resolve = sklearnResolver(SKLEARN_CLASSES);
  const refused: [string, string, RegExp][] = [
    ["os", "system", /references os\.system, which is not on the allow-list/],
    ["builtins", "eval", /builtins\.eval/],
    ["builtins", "getattr", /builtins\.getattr/],
    ["subprocess", "Popen", /subprocess\.Popen/],
    ["numpy", "load", /numpy\.load/],
    [
      "sklearn.cluster._kmeans",
      "KMeans",
      /sklearn\.cluster\._kmeans\.KMeans is not supported.*ONNX/,
    ],
    ["joblib.numpy_pickle_compat", "NDArrayWrapper", /joblib before 0\.10/],
  ];
  for (const [module, name, message] of refused) {
    await t.step(`${module}.${name}`, () => {
      assert.throws(() => resolve(module, name), (err: unknown) => {
        assert.ok(err instanceof RefusedGlobalError);
        assert.equal(err.qualified, `${module}.${name}`);
        assert.match(err.message, message);
        return true;
      });
    });
  }
  await t.step("builtins.object is allowed as a value but never called", () => {
    assert.throws(
      () => resolve("builtins", "object").call([], new Map()),
      /calls builtins\.object/,
    );
  });
  await t.step("copyreg._reconstructor only with base object", () => {
    const spec = resolve("copyreg", "_reconstructor");
    const cls = new PyGlobal("sklearn.linear_model._base", "LinearRegression");
    assert.ok(
      spec.call([cls, new PyGlobal("builtins", "object"), null], new Map()) instanceof PyObject,
    );
    assert.throws(
      () => spec.call([cls, new PyGlobal("builtins", "dict"), null], new Map()),
      /only with base/,
    );
  });
  await t.step("builtins.slice and set rebuild as data", () => {
    assert.deepEqual(
      resolve("builtins", "slice").call([1, 4, null], new Map()),
      new PySlice(1, 4, null),
    );
    assert.deepEqual(resolve("builtins", "set").call([[1, 2]], new Map()), new Set([1, 2]));
  });
});

Deno.test("detectCompression() knows joblib's prefixes; pickleBytes() refuses corrupt streams and the compressions Deno cannot read", async () => {
  const table: [number[], string][] = [
    [[0x78, 0x9c], "zlib"],
    [[0x1f, 0x8b], "gzip"],
    [[0x42, 0x5a, 0x68], "bz2"],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a], "xz"],
    [[0x5d, 0x00, 0x00], "lzma"],
    [[0x04, 0x22, 0x4d, 0x18], "lz4"],
    [[0x80, 0x04], "none"],
  ];
  for (const [prefix, name] of table) {
    assert.equal(detectCompression(Uint8Array.from(prefix)), name);
  }
  for (const file of ["linreg_diabetes.zlib.joblib", "linreg_diabetes.gzip.joblib"]) {
    const whole = await Deno.readFile(fixture("sklearn", file));
    assert.ok((await pickleBytes(whole)).length > whole.length);
    await assert.rejects(pickleBytes(whole.subarray(0, whole.length - 9)), /truncated or corrupt/);
  }
  for (const name of ["bz2", "xz", "lz4"]) {
    const prefix = table.find(([, n]) => n === name)![0];
    await assert.rejects(
      pickleBytes(Uint8Array.from(prefix)),
      new RegExp(`compressed with ${name}.*zlib`),
    );
  }
});
