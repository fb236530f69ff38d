/**
 * Shared by the scikit-learn runtime tests: the recorded fixtures, requests
 * built from their rows, and the comparison with scikit-learn's answers
 * (1e-6 relative; an absolute 1e-12 for values that are zero up to
 * rounding, where a relative bound means nothing).
 */
import assert from "node:assert/strict";
import type { InferenceRequest, RequestInput, ResponseOutput } from "../../src/mod.ts";
import { fixture, type Json } from "../_helpers.ts";

export const EXPECTED: Record<string, Json> = JSON.parse(
  await Deno.readTextFile(fixture("sklearn", "expected.json")),
);

/** Model entries (keys not starting with `_`). */
export const MODELS: string[] = Object.keys(EXPECTED).filter((name) => !name.startsWith("_"));

/** The request inputs of a fixture: one FP64 tensor, or one input per column (pd). */
export function fixtureInputs(
  entry: Json,
): { inputs: RequestInput[]; parameters?: InferenceRequest["parameters"] } {
  if (entry.columns !== undefined) {
    const inputs = Object.entries(entry.columns as Record<string, unknown[]>).map(
      ([name, values]): RequestInput => {
        const numeric = values.every((v) => typeof v === "number" || v === null);
        return numeric
          ? {
            name,
            datatype: "FP64",
            shape: [values.length],
            data: Float64Array.from(values as (number | null)[], (v) => v ?? NaN),
          }
          : {
            name,
            datatype: "BYTES",
            shape: [values.length],
            data: values.map((v) => String(v)),
            parameters: { content_type: "str" },
          };
      },
    );
    return { inputs, parameters: { content_type: "pd" } };
  }
  const rows = entry.inputs as (number | null)[][];
  return {
    inputs: [{
      name: "input-0",
      datatype: "FP64",
      shape: [rows.length, rows[0]!.length],
      data: Float64Array.from(rows.flat(), (v) => v ?? NaN),
    }],
  };
}

/** Whether `actual` is within 1e-6 relative of `expected` (1e-12 absolute near zero). */
export function close(actual: number, expected: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  const diff = Math.abs(actual - expected);
  return diff <= 1e-6 * Math.abs(expected) || diff <= 1e-12;
}

/** Asserts an output equals scikit-learn's recorded values (labels exactly, numbers closely). */
export function assertMatches(output: ResponseOutput, expected: unknown[], what: string): void {
  const flat = (expected as unknown[]).flat(2) as unknown[];
  const data = Array.from(output.data as ArrayLike<unknown>);
  assert.equal(data.length, flat.length, `${what}: ${data.length} values for ${flat.length}`);
  flat.forEach((want, i) => {
    const got = data[i];
    if (typeof want === "number" || want === null) {
      const value = typeof got === "bigint" ? Number(got) : got as number;
      assert.ok(close(value, want ?? NaN), `${what}[${i}]: ${value} vs scikit-learn's ${want}`);
    } else if (typeof want === "boolean") {
      assert.equal(Boolean(got), want, `${what}[${i}]`);
    } else {
      assert.equal(got, want, `${what}[${i}]`);
    }
  });
}

/** numpy dtype names as MLServer's NumpyCodec turns them into datatypes. */
export const DATATYPES: Record<string, string> = {
  int64: "INT64",
  int32: "INT32",
  float64: "FP64",
  float32: "FP32",
  bool: "BOOL",
  object: "BYTES",
};
