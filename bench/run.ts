/**
 * Benchmarks of PERFORMANCE.md, each against a baseline run in the same
 * session. Never part of the test suite.
 *
 *   deno task bench                 every case
 *   deno task bench rest startup    some cases
 *   deno task bench --duration 5    shorter runs (default 10 s)
 *   deno task bench --pairs 3       baseline/subject pairs (default 3)
 *   deno task bench metrics         metrics on vs off (REST and gRPC small)
 *   deno task bench compare --against DIR [--launched] [--subject DIR2]
 *                                   this checkout (or DIR2) against another, running at
 *                                   once (--launched: each as its start task serves)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { printTable, type Row } from "./lib/table.ts";
import { compareCase } from "./compare.ts";
import { grpcCases } from "./grpc.ts";
import { restLarge, restSmall, startup } from "./rest.ts";
import { lightgbmCase } from "./lightgbm.ts";
import { metricsCases } from "./metrics.ts";
import { onnxCases } from "./onnx.ts";
import { sklearnCase } from "./sklearn.ts";
import { xgboostCase } from "./xgboost.ts";

/** Options only some cases read. */
interface CaseOptions {
  against?: string | undefined;
  launched?: boolean | undefined;
  subject?: string | undefined;
}

const CASES: Record<
  string,
  (duration: number, pairs: number, options: CaseOptions) => Promise<Row[]>
> = {
  rest: restSmall,
  large: restLarge,
  startup: (_duration, pairs) => startup(pairs),
  grpc: (duration, pairs) => grpcCases(pairs, duration < 5),
  xgboost: (_duration, pairs) => xgboostCase(pairs),
  lightgbm: (_duration, pairs) => lightgbmCase(pairs),
  onnx: onnxCases,
  sklearn: (_duration, pairs) => sklearnCase(pairs),
  metrics: metricsCases,
  compare: (duration, pairs, options) =>
    compareCase(duration, pairs, options.against, options.launched, options.subject),
};

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "10" },
    pairs: { type: "string", default: "3" },
    against: { type: "string" },
    launched: { type: "boolean" },
    subject: { type: "string" },
  },
  allowPositionals: true,
});
// `compare` needs another checkout: run it only when asked for.
const selected = positionals.length === 0
  ? Object.keys(CASES).filter((name) => name !== "compare")
  : positionals;
const rows: Row[] = [];
for (const name of selected) {
  const run = CASES[name];
  if (run === undefined) {
    console.error(`unknown case '${name}'; cases: ${Object.keys(CASES).join(", ")}`);
    Deno.exit(2);
  }
  console.error(`running ${name}...`);
  rows.push(
    ...await run(Number(values.duration), Number(values.pairs), {
      against: values.against,
      launched: values.launched,
      subject: values.subject,
    }),
  );
}
printTable(rows);
