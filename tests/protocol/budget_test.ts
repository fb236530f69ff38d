import assert from "node:assert/strict";
import { RequestTooLargeError } from "../../src/errors.ts";
import {
  DecodeBudget,
  MESSAGE_BYTES_PER_OBJECT,
  MIN_DECODED_OBJECTS,
} from "../../src/protocol/budget.ts";
import { decodeRawTensor } from "../../src/protocol/raw_tensor.ts";

Deno.test("DecodeBudget allows one object per 16 bytes of message, or the floor", async (t) => {
  const cases: [bytes: number, limit: number][] = [
    [0, MIN_DECODED_OBJECTS],
    [1000, MIN_DECODED_OBJECTS],
    [MIN_DECODED_OBJECTS * MESSAGE_BYTES_PER_OBJECT, MIN_DECODED_OBJECTS],
    [64 * 1024 * 1024, 4 * 1024 * 1024],
  ];
  for (const [bytes, limit] of cases) {
    await t.step(`${bytes} bytes -> ${limit}`, () => {
      const budget = new DecodeBudget(bytes);
      assert.equal(budget.limit, limit);
      budget.take(limit, () => "all of it");
      assert.throws(
        () => budget.take(1, () => "one more"),
        (err: unknown) =>
          err instanceof RequestTooLargeError && err.status === 413 &&
          err.message.startsWith(
            `one more: decoding this ${bytes}-byte message would create more than ${limit} objects`,
          ),
      );
    });
  }
});

Deno.test("decodeRawTensor() counts BYTES elements before making a view of each", () => {
  const count = MIN_DECODED_OBJECTS + 1;
  const raw = new Uint8Array(count * 4); // every element empty: a zero length prefix
  const tensor = { name: "s", datatype: "BYTES" as const, shape: [count] };
  assert.throws(() => decodeRawTensor(raw, tensor), RequestTooLargeError);
  // The shape is checked first: a mismatch is the client's 400, whatever the count.
  assert.throws(
    () => decodeRawTensor(raw, { ...tensor, shape: [3] }),
    /raw BYTES data has more than the 3 elements shape \[3\] holds/,
  );
  const fits = decodeRawTensor(raw.subarray(0, 4000), { ...tensor, shape: [1000] });
  assert.equal((fits as Uint8Array[]).length, 1000);
});
