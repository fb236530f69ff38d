import assert from "node:assert/strict";
import { Router } from "../../src/rest/router.ts";

const router = new Router([
  { method: "POST", pattern: "/v2/models/:name{/versions/:version}?/infer", handler: "infer" },
  { method: "GET", pattern: "/v2/models/:name{/versions/:version}?", handler: "metadata" },
  { method: "GET", pattern: "/v2", handler: "server" },
]);

Deno.test("Router.match() handles the optional version segment with one route", () => {
  assert.deepEqual(router.match("POST", "/v2/models/iris/infer"), {
    kind: "found",
    handler: "infer",
    params: { name: "iris", version: undefined },
  });
  assert.deepEqual(router.match("POST", "/v2/models/iris/versions/2/infer"), {
    kind: "found",
    handler: "infer",
    params: { name: "iris", version: "2" },
  });
});

Deno.test("Router.match() decodes parameters and reports 404 and 405 cases", () => {
  const found = router.match("GET", "/v2/models/my%20model");
  assert.equal(found.kind === "found" && found.params.name, "my model");
  assert.deepEqual(router.match("GET", "/v2/models/iris/infer"), {
    kind: "method-not-allowed",
    allowed: ["POST"],
  });
  assert.deepEqual(router.match("GET", "/v3"), { kind: "not-found" });
  assert.throws(() => router.match("GET", "/v2/models/%E0%A4%A"), URIError);
});

Deno.test("Router.match() caches matches and shares frozen params", () => {
  const first = router.match("GET", "/v2/models/cached");
  const second = router.match("GET", "/v2/models/cached");
  assert.equal(first, second);
  assert.ok(first.kind === "found" && Object.isFrozen(first.params));
});
