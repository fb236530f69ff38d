/**
 * deploy/grafana-dashboard.json queries only series the server exports:
 * every metric name in its PromQL expressions (and the labels it groups
 * by) is in `/metrics` after some REST and gRPC traffic.
 */
import assert from "node:assert/strict";
import { call, inferenceClient } from "./_grpc.ts";
import { fixture, postJson, repoPath, startServer, withTmpDir, writeModel } from "./_helpers.ts";
import { parseExposition } from "./_metrics.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** PromQL words that are not metric names. */
const PROMQL = new Set([
  "sum",
  "avg",
  "max",
  "min",
  "count",
  "rate",
  "irate",
  "increase",
  "histogram_quantile",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "label_values",
]);

/** The expressions of a dashboard: panel targets and query variables. */
function expressions(dashboard: Any): string[] {
  const out: string[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) out.push(target.expr);
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type === "query") out.push(variable.query.query ?? variable.query);
  }
  return out;
}

/** The metric names an expression reads, and the labels it groups or matches by. */
function referenced(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  const stripped = expr
    .replace(/\$\w+/g, " ")
    .replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/\{([^}]*)\}/g, (_, inner: string) => {
      for (const [, name] of inner.matchAll(/(\w+)\s*[=!~]/g)) labels.push(name!);
      return " ";
    })
    .replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_, inner: string) => {
      labels.push(...inner.split(",").map((l) => l.trim()).filter((l) => l !== ""));
      return " ";
    })
    .replace(/\[[^\]]*\]/g, " ");
  const metrics = [...stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((word) => !PROMQL.has(word));
  // label_values(metric, label): the second argument is a label.
  const lv = /label_values\(\s*(\w+)\s*,\s*(\w+)\s*\)/.exec(expr);
  if (lv !== null) {
    labels.push(lv[2]!);
    return { metrics: metrics.filter((m) => m !== lv[2]), labels };
  }
  return { metrics, labels };
}

Deno.test("referenced() reads metric names and labels out of PromQL", () => {
  const cases: { input: string; expected: { metrics: string[]; labels: string[] } }[] = [
    {
      input:
        'histogram_quantile(0.95, sum by (le, path) (rate(a_bucket{x=~"$m"}[$__rate_interval])))',
      expected: { metrics: ["a_bucket"], labels: ["x", "le", "path"] },
    },
    {
      input: "label_values(m_total, model_name)",
      expected: { metrics: ["m_total"], labels: ["model_name"] },
    },
    { input: "sum(rate(a[5m])) / sum(rate(b[5m]))", expected: { metrics: ["a", "b"], labels: [] } },
  ];
  for (const { input, expected } of cases) assert.deepEqual(referenced(input), expected, input);
});

Deno.test("deploy/grafana-dashboard.json queries only series /metrics exports", async () => {
  const dashboard = JSON.parse(
    await Deno.readTextFile(repoPath("deploy", "grafana-dashboard.json")),
  );
  await using dir = await withTmpDir();
  await writeModel(dir.path, "alpha", {
    name: "alpha",
    implementation: `${fixture("runtimes", "observed.ts")}:ObservedModel`,
  });
  await using srv = await startServer(dir.path);
  const body = { inputs: [{ name: "x", datatype: "FP64", shape: [1], data: [1] }] };
  assert.equal((await postJson(`${srv.url}/v2/models/alpha/infer`, body)).status, 200);
  const client = inferenceClient(srv.server.grpcPort);
  try {
    const answer = await call(client, "ModelInfer", {
      model_name: "alpha",
      inputs: [{ name: "x", datatype: "FP64", shape: [1], contents: { fp64_contents: [1] } }],
    });
    assert.equal(answer.error, undefined);
  } finally {
    client.close();
  }
  const samples = parseExposition(await fetch(`${srv.url}/metrics`).then((r) => r.text()));
  const exported = new Map<string, Set<string>>();
  for (const sample of samples) {
    const labels = exported.get(sample.name) ?? new Set();
    for (const label of Object.keys(sample.labels)) labels.add(label);
    exported.set(sample.name, labels);
  }
  const exprs = expressions(dashboard);
  assert.ok(exprs.length >= 15, `${exprs.length} expressions`);
  const missing: string[] = [];
  for (const expr of exprs) {
    const { metrics, labels } = referenced(expr);
    assert.ok(metrics.length > 0, `no metric in ${expr}`);
    for (const metric of metrics) {
      const have = exported.get(metric);
      if (have === undefined) {
        missing.push(`${metric} (in ${expr})`);
        continue;
      }
      for (const label of labels) {
        if (!have.has(label) && label !== "instance") {
          missing.push(`${metric} has no label ${label}`);
        }
      }
    }
  }
  assert.deepEqual(missing, []);
  // The panels the issue asks for.
  const titles = dashboard.panels.map((p: Any) => p.title).join("\n");
  for (const word of [/rate per model/, /Error ratio/, /latency quantiles per model/, /queue/i]) {
    assert.match(titles, word);
  }
});
