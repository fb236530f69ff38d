/**
 * The API docs: the OpenAPI documents (whole API and per model) against
 * the route table, and the Swagger UI page in a real headless Chromium:
 * it renders its operations, "Try it out" on infer gets 200 from the
 * running server, and the page loads nothing from outside the server.
 */
import assert from "node:assert/strict";
import { ROUTES } from "../../src/rest/routes.ts";
import { templates } from "../../src/rest/app.ts";
import { launchChromium } from "../_browser.ts";
import { getJson, RUNTIMES, startServer, withTmpDir, writeModel } from "../_helpers.ts";

const ECHO = {
  name: "echo",
  implementation: RUNTIMES.echo,
  inputs: [{ name: "petals", datatype: "FP32", shape: [-1, 4] }],
  outputs: [{ name: "petals", datatype: "FP32", shape: [-1, 4] }],
};

async function echoServer(settings = {}) {
  const dir = await withTmpDir();
  await writeModel(dir.path, "echo", ECHO);
  const srv = await startServer(dir.path, { settings });
  return {
    srv,
    async [Symbol.asyncDispose]() {
      await srv[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("/v2/docs/dataplane.json documents every REST route, each model route with and without a version", async () => {
  await using s = await echoServer();
  const { status, body } = await getJson(`${s.srv.url}/v2/docs/dataplane.json`);
  assert.equal(status, 200);
  assert.equal(body.openapi, "3.0.3");
  const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  const routed = ROUTES.filter((r) => !r.pattern.includes("/assets/")).flatMap((r) =>
    [...new Set(templates(r.pattern))].map((p) =>
      `${r.method} ${p.replace("{name}", "{model_name}")}`
    )
  );
  for (const route of routed) assert.ok(documented.includes(route), `${route} is documented`);
  // Every $ref resolves.
  for (const [, name] of JSON.stringify(body).matchAll(/"#\/components\/schemas\/(\w+)"/g)) {
    assert.ok(body.components.schemas[name!] !== undefined, `schema ${name}`);
  }
});

Deno.test("a model's docs: its endpoints only, its declared inputs as the example, 404 for an unknown model", async () => {
  await using s = await echoServer({ root_path: "/ml" });
  const { status, body } = await getJson(`${s.srv.url}/ml/v2/models/echo/docs/dataplane.json`);
  assert.equal(status, 200);
  assert.equal(body.info.title, "Data Plane for Model echo");
  assert.deepEqual(body.servers, [{ url: "/ml" }]);
  const paths = Object.keys(body.paths);
  assert.ok(paths.length > 0 && paths.every((p) => p.startsWith("/v2/models/echo")), paths.join());
  const example = body.paths["/v2/models/echo/infer"].post.requestBody.content["application/json"]
    .example;
  assert.deepEqual(example, {
    inputs: [{ name: "petals", datatype: "FP32", shape: [1, 4], data: [0, 0, 0, 0] }],
  });
  assert.match(body.info.description, /Inputs: petals \(FP32 \[-1, 4\]\)/);
  const page = await fetch(`${s.srv.url}/ml/v2/models/echo/docs`);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  const html = await page.text();
  assert.ok(html.includes(`"/ml/v2/models/echo/docs/dataplane.json"`));
  assert.ok(html.includes(`href="/ml/v2/docs/assets/swagger-ui.css"`));
  assert.equal((await getJson(`${s.srv.url}/ml/v2/models/nobody/docs`)).status, 404);
  assert.equal((await getJson(`${s.srv.url}/ml/v2/models/nobody/docs/dataplane.json`)).status, 404);
  const css = await fetch(`${s.srv.url}/ml/v2/docs/assets/swagger-ui.css`);
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  assert.ok((await css.text()).length > 10_000);
  for (const name of ["index.html", "..%2Fpackage.json", "swagger-ui.js.map"]) {
    const other = await fetch(`${s.srv.url}/ml/v2/docs/assets/${name}`);
    await other.body?.cancel();
    assert.equal(other.status, 404, name);
  }
});

Deno.test("Swagger UI in headless Chromium: operations render, Try it out on infer gets 200, nothing loads from outside", async (t) => {
  const launched = await launchChromium();
  if ("skip" in launched) {
    // CI installs Chromium (.ci/run): there a missing browser is a failure, not a skip.
    if (Deno.env.get("CI") === "true") assert.fail(`the browser test cannot run: ${launched.skip}`);
    console.log(`SKIPPED (browser test): ${launched.skip}`);
    return;
  }
  const { browser } = launched;
  await using s = await echoServer();
  const origin = s.srv.url;
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));

    await t.step("/v2/docs lists the operations and runs infer", async () => {
      await page.goto(`${origin}/v2/docs`, { waitUntil: "networkidle" });
      await page.waitForSelector(".opblock-summary-path");
      const paths = await page.$$eval(
        ".opblock-summary-path",
        (els) => els.map((e) => e.textContent),
      );
      for (
        const path of ["/v2/models/{model_name}/infer", "/v2/health/ready", "/v2/models/stats"]
      ) {
        assert.ok(paths.some((p) => p?.replace(/\u200b/g, "") === path), `${path} rendered`);
      }
      const infer = page.locator("#operations-inference-post_infer_model");
      await infer.locator(".opblock-summary").click();
      await infer.locator("button.try-out__btn").click();
      await infer.locator('input[placeholder="model_name"]').fill("echo");
      await infer.locator("textarea.body-param__text").fill(
        JSON.stringify({
          inputs: [{ name: "petals", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }],
        }),
      );
      const answered = page.waitForResponse((r) => r.url() === `${origin}/v2/models/echo/infer`);
      await infer.locator("button.execute").click();
      assert.equal((await answered).status(), 200);
      const shown = infer.locator(".live-responses-table tbody .response-col_status").first();
      await shown.waitFor();
      assert.equal((await shown.textContent())?.trim(), "200");
    });

    await t.step("a model's page runs infer with its declared inputs", async () => {
      await page.goto(`${origin}/v2/models/echo/docs`, { waitUntil: "networkidle" });
      const infer = page.locator("#operations-inference-post_infer_model");
      await infer.waitFor();
      assert.match(
        (await infer.locator(".opblock-summary-path").textContent()) ?? "",
        /\/v2\/models\/echo\/infer/,
      );
      await infer.locator(".opblock-summary").click();
      await infer.locator("button.try-out__btn").click();
      const answered = page.waitForResponse((r) => r.url() === `${origin}/v2/models/echo/infer`);
      await infer.locator("button.execute").click();
      const response = await answered;
      assert.equal(response.status(), 200);
      assert.deepEqual((await response.json()).outputs[0].data, [0, 0, 0, 0]);
      const screenshot = await page.screenshot();
      assert.deepEqual([...screenshot.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      // The README's picture: `MLSERVER_DOCS_SCREENSHOT=docs/api-docs.png deno test -A tests/e2e/docs_test.ts`
      const keep = Deno.env.get("MLSERVER_DOCS_SCREENSHOT");
      if (keep !== undefined) {
        await page.setViewportSize({ width: 1100, height: 900 });
        await infer.evaluate((el) => el.scrollIntoView());
        const box = (await infer.boundingBox())!;
        const clip = { x: box.x, y: box.y, width: box.width, height: 860 - box.y };
        await Deno.writeFile(keep, await page.screenshot({ clip }));
      }
    });

    const outside = requested.filter((url) =>
      !url.startsWith(`${origin}/`) && !url.startsWith("data:")
    );
    assert.deepEqual(outside, [], "every request the pages made went to the server");
    assert.ok(requested.some((url) => url.endsWith("/v2/docs/assets/swagger-ui-bundle.js")));
    await page.close();
  } finally {
    await browser.close();
  }
});
