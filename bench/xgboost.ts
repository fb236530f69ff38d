/**
 * The built-in XGBoost runtime against XGBoost itself (python3-xgboost, one
 * thread each): rows per second predicting 100,000 rows with 100 trees,
 * alternating runs, plus a check that both predicted the same values.
 *
 * @module
 */

import { join } from "node:path";
import { readBooster } from "../runtimes/xgboost/model_file.ts";
import { median } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";

const PYTHON = "/usr/bin/python3"; // Debian's interpreter sees python3-xgboost
const SCRIPT = new URL("./xgboost_reference.py", import.meta.url).pathname;
const FEATURES = 20;

async function python(...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(PYTHON, {
    args: [SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!success) throw new Error(`${SCRIPT} ${args[0]} failed: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}

async function typescriptRowsPerSecond(folder: string): Promise<{ rate: number; maxDiff: number }> {
  const booster = await readBooster(join(folder, "model.json"));
  const bytes = await Deno.readFile(join(folder, "rows.f32"));
  const rows = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const count = rows.length / FEATURES;
  const times: number[] = [];
  let predictions: Float32Array = new Float32Array();
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    predictions = booster.predict(rows, count);
    times.push(performance.now() - start);
  }
  const expectedBytes = await Deno.readFile(join(folder, "expected.f32"));
  const expected = new Float32Array(expectedBytes.buffer, 0, expectedBytes.byteLength / 4);
  let maxDiff = 0;
  for (let i = 0; i < count; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(predictions[i]! - expected[i]!));
  }
  return { rate: count / (median(times) / 1000), maxDiff };
}

/** XGBoost predict throughput: the TypeScript runtime vs XGBoost's C++ predictor. */
export async function xgboostCase(pairs: number): Promise<Row[]> {
  const folder = await Deno.makeTempDir({ prefix: "mlserver-bench-xgb-" });
  try {
    await python("train", folder);
    const baseline: number[] = [];
    const subject: number[] = [];
    let maxDiff = 0;
    for (let pair = 0; pair < pairs; pair++) {
      baseline.push(JSON.parse(await python("predict", folder)).rows_per_second);
      const result = await typescriptRowsPerSecond(folder);
      subject.push(result.rate);
      maxDiff = Math.max(maxDiff, result.maxDiff);
    }
    const ratio = median(subject.map((s, i) => s / baseline[i]!));
    return [{
      case: `XGBoost predict, 100 trees depth 6, 1e5 x 20 FP32 rows/s (max |diff| ${
        maxDiff.toExponential(1)
      })`,
      baseline: fmt(median(baseline)),
      subject: fmt(median(subject)),
      ratio: `${(ratio * 100).toFixed(1)}%`,
      target: "reported (no target)",
      ok: maxDiff < 1e-4,
    }];
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}
