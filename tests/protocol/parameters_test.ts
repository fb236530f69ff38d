/**
 * Request parameters with lazily built transport headers: what a runtime
 * can rely on, and the one trade-off (copies made before reading `headers`
 * leave them out), pinned so that changing it is a decision.
 */
import assert from "node:assert/strict";
import { withLazyHeaders } from "../../src/protocol/parameters.ts";

Deno.test("withLazyHeaders(): headers are built once, on first read, replacing the client's", () => {
  let builds = 0;
  const parameters = withLazyHeaders(
    { content_type: "np", headers: { forged: "yes" }, temperature: 0.2 },
    () => {
      builds++;
      return { "x-tenant": "a" };
    },
  );
  assert.equal(parameters.content_type, "np");
  assert.equal(parameters.temperature, 0.2);
  assert.equal(builds, 0, "nothing built until read");
  assert.deepEqual(parameters.headers, { "x-tenant": "a" }, "the client's headers are dropped");
  assert.equal(parameters.headers, parameters.headers);
  assert.equal(builds, 1);
  parameters.headers = { replaced: "1" };
  assert.deepEqual(parameters.headers, { replaced: "1" });
});

Deno.test("withLazyHeaders(): a copy made before reading headers leaves them out; after, keeps them", () => {
  const parameters = withLazyHeaders({ a: 1 }, () => ({ h: "v" }));
  assert.deepEqual({ ...parameters }, { a: 1 });
  assert.equal(JSON.stringify(parameters), '{"a":1}');
  void parameters.headers;
  assert.deepEqual({ ...parameters }, { a: 1, headers: { h: "v" } });
});
