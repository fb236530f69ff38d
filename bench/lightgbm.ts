/**
 * The built-in LightGBM runtime against the independent reference walker of
 * the tests (tests/runtimes/_lightgbm_reference.ts), one thread each, on the
 * same rows: rows per second predicting MLServer's iris model (300 trees,
 * 3 classes) and a larger binary model (100 trees of up to 63 leaves, 20
 * features with categorical splits and missing values, written by
 * tests/fixtures/lightgbm/make_models.py --bench), alternating runs, plus a
 * check that both predicted the same values. LightGBM itself cannot be
 * installed here, so the walker is the reference.
 *
 * @module
 */

import { join } from "node:path";
import { Booster } from "../runtimes/lightgbm/booster.ts";
import { readReferenceModel, referencePredict } from "../tests/runtimes/_lightgbm_reference.ts";
import { median } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";

const PYTHON = "/usr/bin/python3"; // Debian's interpreter sees numpy and python3-sklearn
const FIXTURES = new URL("../tests/fixtures/lightgbm/", import.meta.url).pathname;

interface Workload {
  label: string;
  text: string;
  rows: Float64Array;
  features: number;
}

/** Rows per second of `predict` over every row, the median of three runs, and its output. */
function rate(predict: () => Float64Array, count: number): { rate: number; out: Float64Array } {
  const times: number[] = [];
  let out: Float64Array = new Float64Array();
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    out = predict();
    times.push(performance.now() - start);
  }
  return { rate: count / (median(times) / 1000), out };
}

function runtimeRate(w: Workload) {
  const booster = new Booster(w.text);
  return rate(
    () => booster.predict(w.rows, w.rows.length / w.features),
    w.rows.length / w.features,
  );
}

function referenceRate(w: Workload) {
  const model = readReferenceModel(w.text);
  const count = w.rows.length / w.features;
  return rate(() => {
    const out: number[] = [];
    for (let r = 0; r < count; r++) {
      out.push(
        ...referencePredict(
          model,
          Array.from(w.rows.subarray(r * w.features, (r + 1) * w.features)),
        ),
      );
    }
    return Float64Array.from(out);
  }, count);
}

async function workloads(folder: string): Promise<Workload[]> {
  const iris = JSON.parse(await Deno.readTextFile(join(FIXTURES, "iris.json")));
  // 150 rows repeated to 15,000.
  const irisRows = Float64Array.from(
    Array.from({ length: 100 }, () => iris.data.flat() as number[]).flat(),
  );
  const { success, stderr } = await new Deno.Command(PYTHON, {
    args: [join(FIXTURES, "make_models.py"), "--bench", folder],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`make_models.py --bench failed: ${new TextDecoder().decode(stderr)}`);
  }
  const bytes = await Deno.readFile(join(folder, "rows.f64"));
  return [
    {
      label: "LightGBM predict, iris-lightgbm.bst (300 trees, 3 classes), 15,000 x 4 FP64 rows/s",
      text: await Deno.readTextFile(join(FIXTURES, "iris-lightgbm.bst")),
      rows: irisRows,
      features: 4,
    },
    {
      label: "LightGBM predict, 100 trees <= 63 leaves, categorical + NaN, 20,000 x 20 FP64 rows/s",
      text: await Deno.readTextFile(join(folder, "bench.txt")),
      rows: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8),
      features: 20,
    },
  ];
}

/** LightGBM predict throughput: the runtime vs the reference walker (baseline). */
export async function lightgbmCase(pairs: number): Promise<Row[]> {
  const folder = await Deno.makeTempDir({ prefix: "mlserver-bench-lgbm-" });
  try {
    const rows: Row[] = [];
    for (const w of await workloads(folder)) {
      const baseline: number[] = [];
      const subject: number[] = [];
      let maxRelative = 0;
      for (let pair = 0; pair < pairs; pair++) {
        const reference = referenceRate(w);
        const runtime = runtimeRate(w);
        baseline.push(reference.rate);
        subject.push(runtime.rate);
        reference.out.forEach((v, i) => {
          const diff = Math.abs(runtime.out[i]! - v) / Math.max(Math.abs(v), 1e-12);
          maxRelative = Math.max(maxRelative, diff);
        });
      }
      const ratio = median(subject.map((s, i) => s / baseline[i]!));
      rows.push({
        case: `${w.label} (max rel. diff ${maxRelative.toExponential(1)})`,
        baseline: fmt(median(baseline)),
        subject: fmt(median(subject)),
        ratio: `${(ratio * 100).toFixed(1)}%`,
        target: "reported (no target)",
        ok: maxRelative <= 1e-6,
      });
    }
    return rows;
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}
