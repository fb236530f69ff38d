import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { getModelUri } from "../../src/runtime/model_uri.ts";
import { withTmpDir } from "../_helpers.ts";

Deno.test("getModelUri() follows MLServer's rules", async (t) => {
  await using dir = await withTmpDir();
  const root = dir.path;
  await Deno.mkdir(join(root, "model"));
  await Deno.writeTextFile(join(root, "model", "model.json"), "{}");
  await Deno.writeTextFile(join(root, "model", "model.ubj"), "");
  await Deno.mkdir(join(root, "empty"));
  await Deno.writeTextFile(join(root, "weights.bin"), "");
  const source = join(root, "model-settings.json");
  const wellknownFilenames = ["model.bst", "model.json", "model.ubj"];

  const cases: { name: string; uri?: string; source?: string; expected: string }[] = [
    {
      name: "an existing file is returned",
      uri: join(root, "weights.bin"),
      expected: join(root, "weights.bin"),
    },
    {
      name: "a folder gives its first well-known file in list order",
      uri: join(root, "model"),
      expected: join(root, "model", "model.json"),
    },
    {
      name: "a folder without well-known files is returned itself",
      uri: join(root, "empty"),
      expected: join(root, "empty"),
    },
    {
      name: "a relative path joins the settings folder",
      uri: "./model",
      source,
      expected: join(root, "model", "model.json"),
    },
    {
      name: "a relative path with .. is normalised",
      uri: "model/../weights.bin",
      source,
      expected: join(root, "weights.bin"),
    },
    {
      name: "a file: URI is a path",
      uri: pathToFileURL(join(root, "weights.bin")).href,
      expected: join(root, "weights.bin"),
    },
    {
      name: "s3:// is returned unchanged",
      uri: "s3://bucket/model.json",
      expected: "s3://bucket/model.json",
    },
    {
      name: "https:// is returned unchanged",
      uri: "https://example.com/m.onnx",
      expected: "https://example.com/m.onnx",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const settings = { name: "m", parameters: { uri: c.uri }, _source: c.source };
      assert.equal(await getModelUri(settings, { wellknownFilenames }), c.expected);
    });
  }

  await t.step(
    "a relative path without a settings file resolves against the working folder",
    async () => {
      const uri = await getModelUri({ name: "m", parameters: { uri: "deno.json" } });
      assert.equal(uri, join(Deno.cwd(), "deno.json"));
    },
  );
  await t.step("no uri is InvalidModelUri (422)", async () => {
    await assert.rejects(getModelUri({ name: "m", parameters: {} }), (err: unknown) => {
      assert.equal((err as { status: number }).status, 422);
      assert.equal((err as Error).message, "Invalid URI specified for model m");
      return true;
    });
  });
  await t.step("a missing path is InvalidModelUri naming the resolved path", async () => {
    await assert.rejects(getModelUri({ name: "m", parameters: { uri: "gone" }, _source: source }), {
      name: "InvalidModelUriError",
      message: `Invalid URI specified for model m (${join(root, "gone")})`,
    });
  });
});
