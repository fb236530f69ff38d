/**
 * Small tensors come from shared slabs: each one must own exactly its bytes
 * (no overlap with the next), start aligned for its element size, and large
 * or empty ones get their own buffers.
 */
import assert from "node:assert/strict";
import { DATATYPE_INFO, type NumericDatatype } from "../../src/protocol/datatypes.ts";

Deno.test("DATATYPE_INFO.create(): small arrays are aligned, disjoint slices of shared slabs", () => {
  const sizes: [NumericDatatype, number][] = [
    ["UINT8", 3],
    ["INT64", 2],
    ["BOOL", 1],
    ["FP64", 5],
    ["INT16", 7],
    ["FP32", 4],
    ["UINT64", 1],
  ];
  const arrays = sizes.map(([datatype, length]) => {
    const array = DATATYPE_INFO[datatype].create(length);
    assert.equal(array.length, length);
    assert.equal(array.byteOffset % DATATYPE_INFO[datatype].size, 0, `${datatype} aligned`);
    return array;
  });
  // Writing every byte of each array must leave every other array's bytes alone.
  arrays.forEach((array, i) => {
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(i + 1);
  });
  arrays.forEach((array, i) => {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    assert.ok(bytes.every((b) => b === i + 1), `array ${i} was not overwritten by another`);
  });
  assert.ok(
    arrays.some((a) => a.buffer === arrays[0]!.buffer && a !== arrays[0]),
    "slabs are shared",
  );
  const large = DATATYPE_INFO.FP32.create(2048); // 8 KiB: its own buffer
  assert.equal(large.byteOffset, 0);
  assert.equal(large.buffer.byteLength, 8192);
  assert.equal(DATATYPE_INFO.FP32.create(0).buffer.byteLength, 0);
});
