import assert from "node:assert/strict";
import { InvalidRequestError } from "../../src/errors.ts";
import { parseJson } from "../../src/rest/body.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("parseJson() keeps integers past 2^53 exact as bigints when a 64-bit type is named", async (t) => {
  const cases: { name: string; text: string; expected: unknown }[] = [
    {
      name: "INT64 data",
      text:
        '{"datatype":"INT64","data":[9223372036854775807,-9223372036854775808, 9007199254740993]}',
      expected: {
        datatype: "INT64",
        data: [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n],
      },
    },
    {
      name: "safe integers stay numbers",
      text: '{"datatype":"UINT64","data":[9007199254740991,1,0,1234567890123456]}',
      expected: { datatype: "UINT64", data: [9007199254740991, 1, 0, 1234567890123456] },
    },
    {
      name: "fractions and exponents stay numbers",
      text: '{"datatype":"INT64","data":[0.12345678901234567,1e25,12345678901234567.5]}',
      expected: { datatype: "INT64", data: [0.12345678901234567, 1e25, 12345678901234567.5] },
    },
    {
      name: "digits inside strings stay strings",
      text: '{"datatype":"INT64","id":"12345678901234567890","n":12345678901234567890}',
      expected: { datatype: "INT64", id: "12345678901234567890", n: 12345678901234567890n },
    },
    {
      name: "without a 64-bit type, long integers are plain numbers (the fast path)",
      text: '{"datatype":"FP64","data":[18446744073709551615]}',
      expected: { datatype: "FP64", data: [18446744073709551615] },
    },
    {
      name: "nesting too deep for the reviver parses plainly",
      text: `{"datatype":"INT64","data":${"[".repeat(200_000)}9223372036854775807${
        "]".repeat(200_000)
      }}`,
      expected: undefined,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const parsed = parseJson(bytes(c.text));
      if (c.expected !== undefined) assert.deepEqual(parsed, c.expected);
      else assert.equal(typeof parsed, "object");
    });
  }
});

Deno.test("parseJson() refuses what is not JSON with a 400", () => {
  for (const text of ["", "{", '{"datatype":"INT64","data":[9223372036854775807,]}']) {
    assert.throws(() => parseJson(bytes(text)), InvalidRequestError);
  }
});
