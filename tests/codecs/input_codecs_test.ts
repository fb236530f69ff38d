import assert from "node:assert/strict";
import { Base64Codec } from "../../src/codecs/base64.ts";
import type { InputCodec, TensorLike } from "../../src/codecs/codec.ts";
import { DatetimeCodec } from "../../src/codecs/datetime.ts";
import { PandasJsonCodec } from "../../src/codecs/pandas.ts";
import { StringCodec } from "../../src/codecs/string.ts";
import { NumpyCodec } from "../../src/codecs/tensor.ts";
import { CodecError } from "../../src/errors.ts";

const enc = (s: string) => new TextEncoder().encode(s);

interface RoundTrip {
  name: string;
  codec: InputCodec;
  value: unknown;
  encoded: Partial<TensorLike>;
  decodedBack?: unknown;
}

const ROUND_TRIPS: RoundTrip[] = [
  {
    name: "np FP32 tensor",
    codec: NumpyCodec,
    value: { data: new Float32Array([1.5, NaN, Infinity]), shape: [3], datatype: "FP32" },
    encoded: { datatype: "FP32", shape: [3] },
  },
  {
    name: "np bare typed array is N rows of 1",
    codec: NumpyCodec,
    value: new Int16Array([1, -2]),
    encoded: { datatype: "INT16", shape: [2, 1] },
    decodedBack: { data: new Int16Array([1, -2]), shape: [2, 1], datatype: "INT16" },
  },
  {
    name: "np INT64 beyond 2^53",
    codec: NumpyCodec,
    value: { data: new BigInt64Array([2n ** 62n, -(2n ** 63n)]), shape: [2], datatype: "INT64" },
    encoded: { datatype: "INT64" },
  },
  {
    name: "np BOOL keeps its datatype",
    codec: NumpyCodec,
    value: { data: new Uint8Array([1, 0]), shape: [1, 2], datatype: "BOOL" },
    encoded: { datatype: "BOOL", shape: [1, 2] },
  },
  {
    name: "np FP16",
    codec: NumpyCodec,
    value: { data: new Float16Array([0.5]), shape: [1], datatype: "FP16" },
    encoded: { datatype: "FP16" },
  },
  {
    name: "np empty with a zero dimension",
    codec: NumpyCodec,
    value: { data: new Float64Array(0), shape: [0, 4], datatype: "FP64" },
    encoded: { shape: [0, 4] },
  },
  {
    name: "str",
    codec: StringCodec,
    value: ["héllo", "", "日本"],
    encoded: { datatype: "BYTES", shape: [3, 1], data: ["héllo", "", "日本"] },
  },
  {
    name: "base64 non-UTF-8 bytes",
    codec: Base64Codec,
    value: [new Uint8Array([0xff, 0xfe, 0x00]), new Uint8Array(0)],
    encoded: { datatype: "BYTES", shape: [2, 1], data: ["//4A", ""] },
  },
  {
    name: "datetime",
    codec: DatetimeCodec,
    value: [new Date("2024-02-29T12:34:56.789Z")],
    encoded: { datatype: "BYTES", data: ["2024-02-29T12:34:56.789Z"] },
  },
];

Deno.test("input codecs encode and decode back", async (t) => {
  for (const c of ROUND_TRIPS) {
    await t.step(c.name, () => {
      const encoded = c.codec.encode("t", c.value);
      assert.equal(encoded.parameters?.content_type, c.codec.contentType);
      for (const [key, expected] of Object.entries(c.encoded)) {
        assert.deepEqual((encoded as unknown as Record<string, unknown>)[key], expected, key);
      }
      assert.ok(c.codec.canEncode(c.value));
      assert.deepEqual(c.codec.decode(encoded), c.decodedBack ?? c.value);
    });
  }
});

Deno.test("input codecs decode what transports deliver", async (t) => {
  await t.step("str reads strings (JSON) and UTF-8 bytes (binary, gRPC)", () => {
    assert.deepEqual(
      StringCodec.decode({ name: "s", datatype: "BYTES", shape: [2], data: ["a", enc("é")] }),
      ["a", "é"],
    );
  });
  await t.step("base64 reads text or bytes holding base64", () => {
    const decoded = Base64Codec.decode({
      name: "b",
      datatype: "BYTES",
      shape: [2],
      data: ["aGk=", enc("aGk=")],
    });
    assert.deepEqual(decoded.map((b) => [...b]), [[0x68, 0x69], [0x68, 0x69]]);
  });
  await t.step("datetime reads dates, offsets, and times without offset as UTC", () => {
    const dates = DatetimeCodec.decode({
      name: "d",
      datatype: "BYTES",
      shape: [3],
      data: ["2024-01-02", "2024-01-02T03:04:05+02:00", "2024-01-02 03:04"],
    });
    assert.deepEqual(dates.map((d) => d.toISOString()), [
      "2024-01-02T00:00:00.000Z",
      "2024-01-02T01:04:05.000Z",
      "2024-01-02T03:04:00.000Z",
    ]);
  });
  await t.step("np reads nested plain arrays a runtime returned", () => {
    assert.deepEqual(
      NumpyCodec.decode({ name: "o", datatype: "INT32", shape: [2, 1], data: [[1], [2]] }).data,
      new Int32Array([1, 2]),
    );
  });
});

Deno.test("input codecs reject what they cannot read with a 400 naming the tensor", async (t) => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "str on a numeric tensor",
      () =>
        StringCodec.decode({ name: "x", datatype: "FP32", shape: [1], data: new Float32Array(1) }),
      /Cannot decode 'x' as str: it is FP32, not BYTES/,
    ],
    [
      "str on bytes that are not UTF-8",
      () =>
        StringCodec.decode({
          name: "x",
          datatype: "BYTES",
          shape: [1],
          data: [new Uint8Array([0xff])],
        }),
      /element 0 is not valid UTF-8/,
    ],
    [
      "base64 that is not base64",
      () => Base64Codec.decode({ name: "b", datatype: "BYTES", shape: [2], data: ["aGk=", "***"] }),
      /Cannot decode 'b' as base64: element 1 is not valid base64/,
    ],
    [
      "datetime that is not a date",
      () => DatetimeCodec.decode({ name: "d", datatype: "BYTES", shape: [1], data: ["yesterday"] }),
      /element 0 \("yesterday"\) is not an ISO 8601 date/,
    ],
    [
      "a megabyte that is not a date is quoted by its start",
      () =>
        DatetimeCodec.decode({ name: "d", datatype: "BYTES", shape: [1], data: ["y".repeat(1e6)] }),
      /^Cannot decode 'd' as datetime: element 0 \("y{40}\.\.\."\) is not an ISO 8601 date$/,
    ],
    [
      "datetime out of range",
      () =>
        DatetimeCodec.decode({ name: "d", datatype: "BYTES", shape: [1], data: ["2024-13-45"] }),
      /is not an ISO 8601 date/,
    ],
    [
      "an invalid Date",
      () => DatetimeCodec.encode("d", [new Date("nope")]),
      /element 0 is an invalid Date/,
    ],
    [
      "np data that does not fill its shape",
      () => NumpyCodec.decode({ name: "x", datatype: "FP32", shape: [3], data: [1, 2] }),
      /Cannot decode 'x' as np: /,
    ],
    [
      "pd_json cells that are numbers",
      () => PandasJsonCodec.decode({ name: "c", datatype: "FP32", shape: [2], data: [1] }),
      /Cannot decode 'c' as pd_json: /,
    ],
    [
      "np of something else",
      () => NumpyCodec.encode("y", { nope: true } as never),
      /expected a typed array or \{ data, shape \}/,
    ],
  ];
  for (const [name, run, message] of cases) {
    await t.step(name, () => {
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof CodecError, String(err));
        assert.equal(err.status, 400);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

Deno.test("canEncode() picks the right codec for each kind of value", () => {
  const codecs = [NumpyCodec, StringCodec, Base64Codec, DatetimeCodec] as InputCodec[];
  const pick = (value: unknown) => codecs.find((c) => c.canEncode(value))?.contentType;
  assert.equal(pick(new Float32Array(1)), "np");
  assert.equal(pick({ data: new Int8Array(1), shape: [1] }), "np");
  assert.equal(pick(["a"]), "str");
  assert.equal(pick([new Uint8Array(1)]), "base64");
  assert.equal(pick([new Date()]), "datetime");
  assert.equal(pick([1, 2]), undefined);
  assert.equal(pick([]), undefined);
});
