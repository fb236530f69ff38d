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

/** A column as a request input: FP64 numbers (null is NaN), `str` text, `pd_json` text with gaps. */
function columnInput(name: string, values: unknown[]): RequestInput {
  if (values.every((v) => typeof v === "number" || v === null)) {
    return {
      name,
      datatype: "FP64",
      shape: [values.length],
      data: Float64Array.from(values as (number | null)[], (v) => v ?? NaN),
    };
  }
  if (values.includes(null)) {
    return {
      name,
      datatype: "BYTES",
      shape: [values.length],
      data: values.map((v) => JSON.stringify(v)),
      parameters: { content_type: "pd_json" },
    };
  }
  return {
    name,
    datatype: "BYTES",
    shape: [values.length],
    data: values.map(String),
    parameters: { content_type: "str" },
  };
}

/**
 * The request of a fixture: one FP64 tensor of its rows; one BYTES tensor
 * of text rows; or, for a table, one `pd` input per column, in reverse
 * order (the runtime must match them by name). Text rows with gaps go as a
 * `pd` table too (a BYTES tensor has no null).
 */
export function fixtureInputs(
  entry: Json,
): { inputs: RequestInput[]; parameters?: InferenceRequest["parameters"] } {
  if (entry.columns !== undefined) {
    const columns = Object.entries(entry.columns as Record<string, unknown[]>).reverse();
    return {
      inputs: columns.map(([name, values]) => columnInput(name, values)),
      parameters: { content_type: "pd" },
    };
  }
  if (entry.text_inputs !== undefined) {
    const rows = entry.text_inputs as (string | null)[][];
    if (rows.some((row) => row.includes(null))) {
      const inputs = rows[0]!.map((_, c) => columnInput(`x${c}`, rows.map((row) => row[c])));
      return { inputs, parameters: { content_type: "pd" } };
    }
    return {
      inputs: [{
        name: "input-0",
        datatype: "BYTES",
        shape: [rows.length, rows[0]!.length],
        data: rows.flat() as string[],
      }],
    };
  }
  const rows = entry.inputs as (number | null)[][];
  const values = rows.flat().map((v) => v ?? NaN);
  const float32 = entry.inputs_dtype === "float32";
  return {
    inputs: [{
      name: "input-0",
      datatype: float32 ? "FP32" : "FP64",
      shape: [rows.length, rows[0]!.length],
      data: float32 ? Float32Array.from(values) : Float64Array.from(values),
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
