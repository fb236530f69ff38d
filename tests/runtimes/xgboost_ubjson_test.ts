/** The UBJSON decoder behind `.ubj` XGBoost models, on hand-made documents. */
import assert from "node:assert/strict";
import { decodeUbjson } from "../../runtimes/xgboost/ubjson.ts";

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? Array.from(new TextEncoder().encode(p)) : p),
  );

Deno.test("decodeUbjson() reads every value type", async (t) => {
  const cases: { name: string; input: Uint8Array; expected: unknown }[] = [
    { name: "null, true, false", input: bytes("[ZTF]"), expected: [null, true, false] },
    { name: "no-op markers are skipped", input: bytes("[NZN]"), expected: [null] },
    { name: "int8 and uint8", input: bytes("[i", [0xff], "U", [0xff], "]"), expected: [-1, 255] },
    { name: "int16 big-endian", input: bytes("I", [0x01, 0x02]), expected: 258 },
    { name: "int32", input: bytes("l", [0xff, 0xff, 0xff, 0xfe]), expected: -2 },
    { name: "int64", input: bytes("L", [0, 0, 0, 1, 0, 0, 0, 0]), expected: 2 ** 32 },
    { name: "float32", input: bytes("d", [0x3f, 0xc0, 0, 0]), expected: 1.5 },
    { name: "float64", input: bytes("D", [0xc0, 0x04, 0, 0, 0, 0, 0, 0]), expected: -2.5 },
    { name: "string (UTF-8)", input: bytes("Si", [3], [0xc3, 0xa9, 0x21]), expected: "é!" },
    { name: "char", input: bytes("Cx"), expected: "x" },
    {
      name: "object with int64 key lengths (XGBoost's keys)",
      input: bytes("{L", [0, 0, 0, 0, 0, 0, 0, 1], "ai", [5], "}"),
      expected: { a: 5 },
    },
    {
      name: "counted object",
      input: bytes("{#i", [2], "i", [1], "aTi", [1], "bF"),
      expected: { a: true, b: false },
    },
    {
      name: "typed float32 array becomes a Float32Array",
      input: bytes("[$d#i", [2], [0x3f, 0x80, 0, 0], [0xc0, 0, 0, 0]),
      expected: new Float32Array([1, -2]),
    },
    {
      name: "typed int32 array becomes an Int32Array",
      input: bytes("[$l#i", [2], [0, 0, 0, 7], [0xff, 0xff, 0xff, 0xff]),
      expected: new Int32Array([7, -1]),
    },
    {
      name: "typed int64 array becomes numbers",
      input: bytes("[$L#i", [1], [0, 0, 0, 0, 0, 0, 0, 9]),
      expected: [9],
    },
    { name: "counted untyped array", input: bytes("[#i", [2], "Ti", [4]), expected: [true, 4] },
    {
      name: "a __proto__ key is an ordinary key, as in JSON.parse",
      input: bytes("{i", [9], "__proto__{i", [1], "aT}}"),
      expected: JSON.parse('{"__proto__":{"a":true}}'),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(decodeUbjson(c.input), c.expected));
  }
});

Deno.test("decodeUbjson() rejects malformed documents with the reason", async (t) => {
  const deep = bytes("[".repeat(100), "]".repeat(100));
  const cases: { name: string; input: Uint8Array; message: RegExp }[] = [
    { name: "unknown marker", input: bytes("X"), message: /unknown type marker 'X' at byte 0/ },
    { name: "truncated number", input: bytes("l", [0, 0]), message: /needs 4 bytes, 2 left/ },
    {
      name: "a count larger than the document",
      input: bytes("[$d#l", [0x7f, 0xff, 0xff, 0xff]),
      message: /needs \d+ bytes/,
    },
    {
      name: "a count of nulls larger than the document",
      input: bytes("[$Z#l", [0x7f, 0xff, 0xff, 0xff]),
      message: /needs \d+ bytes/,
    },
    { name: "negative length", input: bytes("Si", [0xff]), message: /invalid length -1/ },
    {
      name: "int64 beyond 2^53",
      input: bytes("L", [0x7f, 0, 0, 0, 0, 0, 0, 0]),
      message: /does not fit a JS number/,
    },
    { name: "bytes after the value", input: bytes("TT"), message: /1 bytes after the value/ },
    { name: "nesting too deep", input: deep, message: /nesting deeper than 64/ },
    {
      name: "invalid UTF-8",
      input: bytes("Si", [1], [0xff]),
      message: /not valid|invalid|decode/i,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.throws(() => decodeUbjson(c.input), c.message));
  }
});
