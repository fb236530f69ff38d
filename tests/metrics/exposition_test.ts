import assert from "node:assert/strict";
import { isMetricName, MetricRegistry } from "../../src/metrics/exposition.ts";

Deno.test("MetricRegistry.text() writes HELP, TYPE and samples, escaping help and label values", () => {
  const registry = new MetricRegistry();
  registry.register({
    name: "a_total",
    help: "Counts \\ things\nover lines",
    type: "counter",
    samples: () => [
      { labels: { path: 'say "hi"\\now\n' }, value: 3 },
      { labels: {}, value: Number.POSITIVE_INFINITY },
    ],
  });
  registry.register({
    name: "b",
    help: "Gauge",
    type: "gauge",
    samples: () => [{ labels: { le: 0.5 }, value: Number.NaN, metricName: "b_bucket" }],
  });
  assert.equal(
    registry.text(),
    [
      "# HELP a_total Counts \\\\ things\\nover lines",
      "# TYPE a_total counter",
      'a_total{path="say \\"hi\\"\\\\now\\n"} 3',
      "a_total +Inf",
      "",
      "# HELP b Gauge",
      "# TYPE b gauge",
      'b_bucket{le="0.5"} NaN',
      "",
    ].join("\n"),
  );
  assert.throws(
    () => registry.register({ name: "b", help: "", type: "gauge", samples: () => [] }),
    /name is taken/,
  );
});

Deno.test("isMetricName() follows Prometheus' rule", () => {
  const cases: [string, boolean][] = [
    ["a_b:c1", true],
    ["_x", true],
    ["1a", false],
    ["a-b", false],
    ["", false],
  ];
  for (const [name, expected] of cases) assert.equal(isMetricName(name), expected, name);
});
