/**
 * The built-in scikit-learn runtime against scikit-learn itself
 * (python3-sklearn, one thread each: OMP and BLAS threads set to 1): rows
 * per second for each estimator on the same rows, alternating runs, plus
 * the largest relative difference between the two answers.
 *
 * @module
 */

import { join } from "node:path";
import { buildEstimator, SKLEARN_CLASSES } from "../runtimes/sklearn/estimators.ts";
import type { Estimator, Matrix } from "../runtimes/sklearn/estimator.ts";
import { readModelFile } from "../runtimes/sklearn/model_file.ts";
import { median } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";

const PYTHON = "/usr/bin/python3"; // Debian's interpreter sees python3-sklearn
const SCRIPT = new URL("./sklearn_reference.py", import.meta.url).pathname;
const FEATURES = 20;
const ONE_THREAD = {
  OMP_NUM_THREADS: "1",
  OPENBLAS_NUM_THREADS: "1",
  MKL_NUM_THREADS: "1",
  BLIS_NUM_THREADS: "1",
};
const ALL_CASES = [
  "linear_regression",
  "logistic_regression",
  "pipeline_scaler_logreg",
  "decision_tree",
  "random_forest",
  "gradient_boosting",
  "hist_gradient_boosting",
  "svc_rbf",
  "knn",
  "gaussian_nb",
];
// SKLEARN_BENCH_CASES=knn,svc_rbf runs a subset.
const CASES = Deno.env.get("SKLEARN_BENCH_CASES")?.split(",") ?? ALL_CASES;

async function python(...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(PYTHON, {
    args: [SCRIPT, ...args],
    env: ONE_THREAD,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!success) throw new Error(`${SCRIPT} ${args[0]} failed: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}

async function readF64(path: string): Promise<Float64Array> {
  const bytes = await Deno.readFile(path);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

function run(estimator: Estimator, method: string, m: Matrix): Float64Array {
  if (method === "predict_proba") return estimator.predictProba!(m).data;
  const out = estimator.predict!(m).data;
  return out instanceof Float64Array
    ? out
    : Float64Array.from(out as ArrayLike<number | bigint>, Number);
}

async function typescript(folder: string, name: string, method: string) {
  const estimator = buildEstimator(
    await readModelFile(join(folder, `${name}.joblib`), SKLEARN_CLASSES),
  );
  const data = await readF64(join(folder, `${name}.rows.f64`));
  const m: Matrix = { rows: data.length / FEATURES, cols: FEATURES, data };
  const times: number[] = [];
  let result: Float64Array = new Float64Array();
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    result = run(estimator, method, m);
    times.push(performance.now() - start);
  }
  const expected = await readF64(join(folder, `${name}.expected.f64`));
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(result[i]! - expected[i]!);
    maxRel = Math.max(maxRel, diff / Math.max(Math.abs(expected[i]!), 1e-12));
  }
  if (result.length !== expected.length) maxRel = Infinity;
  return { rate: m.rows / (median(times) / 1000), maxRel };
}

/** scikit-learn predict throughput per estimator: the TypeScript runtime vs scikit-learn. */
export async function sklearnCase(pairs: number): Promise<Row[]> {
  const folder = await Deno.makeTempDir({ prefix: "mlserver-bench-sklearn-" });
  try {
    await python("train", folder);
    const rows: Row[] = [];
    for (const name of CASES) {
      const baseline: number[] = [];
      const subject: number[] = [];
      let maxRel = 0;
      let method = "predict";
      for (let pair = 0; pair < pairs; pair++) {
        const reference = JSON.parse(await python("predict", folder, name));
        method = reference.method;
        baseline.push(reference.rows_per_second);
        const result = await typescript(folder, name, method);
        subject.push(result.rate);
        maxRel = Math.max(maxRel, result.maxRel);
      }
      const ratio = median(subject.map((s, i) => s / baseline[i]!));
      rows.push({
        case: `scikit-learn ${name} ${method}, ${FEATURES} FP64 features, rows/s (max rel diff ${
          maxRel.toExponential(1)
        })`,
        baseline: fmt(median(baseline)),
        subject: fmt(median(subject)),
        ratio: `${(ratio * 100).toFixed(1)}%`,
        target: "reported (no target)",
        ok: maxRel < 1e-6,
      });
    }
    return rows;
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}
