import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../_cli.ts";
import { withTmpDir } from "../_helpers.ts";

/** `mlserver init` as a process, from `cwd`. */
const init = (project: string, cwd: string) =>
  runCli(["init", project], { permissions: ["-A"], cwd });

/** A `deno` command in the scaffold, in its own configuration. */
async function inScaffold(
  project: string,
  args: string[] = ["test", "--allow-read"],
): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: project,
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, out: decode(output.stdout) + decode(output.stderr) };
}

Deno.test("mlserver init scaffolds a project whose own test passes at once", async () => {
  await using dir = await withTmpDir();
  const project = join(dir.path, "my-project");
  const created = await init(project, dir.path);
  assert.equal(created.code, 0, created.stderr);
  for (
    const file of [
      "README.md",
      "deno.json",
      "my_model_test.ts",
      "models/my-model/model-settings.json",
      "models/my-model/my_model.ts",
      "models/my-model/model.json",
      ".mlserver/sdk/mod.ts",
    ]
  ) {
    assert.ok((await Deno.stat(join(project, file))).isFile, file);
  }
  // The scaffold's own checks and test, in the scaffold's own configuration.
  for (const args of [["fmt", "--check"], ["lint"], ["check", "."]]) {
    const result = await inScaffold(project, args);
    assert.equal(result.code, 0, `deno ${args.join(" ")}: ${result.out}`);
  }
  const test = await inScaffold(project, ["task", "test"]);
  assert.equal(test.code, 0, test.out);
  assert.match(test.out, /ok \| 2 passed \| 0 failed/);
  const again = await init(project, dir.path);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already has .*nothing written \(use --force to overwrite\)/);
  // --sdk rewrites the SDK copy only, leaving the user's files alone.
  await Deno.writeTextFile(join(project, "models/my-model/my_model.ts"), "// mine\n");
  await Deno.remove(join(project, ".mlserver/sdk/errors.ts"));
  const sdk = await runCli(["init", project, "--sdk"], { permissions: ["-A"], cwd: dir.path });
  assert.equal(sdk.code, 0, sdk.stderr);
  assert.ok((await Deno.stat(join(project, ".mlserver/sdk/errors.ts"))).isFile);
  assert.equal(await Deno.readTextFile(join(project, "models/my-model/my_model.ts")), "// mine\n");
});

Deno.test("the scaffolded model is served by the server as it is", async () => {
  await using dir = await withTmpDir();
  const project = join(dir.path, "p");
  assert.equal(
    (await init(project, dir.path)).code,
    0,
  );
  const { startServer } = await import("../_helpers.ts");
  await using srv = await startServer(join(project, "models"));
  const response = await fetch(`${srv.url}/v2/models/my-model/infer`, {
    method: "POST",
    body: JSON.stringify({
      inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] }],
    }),
  });
  assert.equal(response.status, 200);
  assert.deepEqual((await response.json()).outputs[0].data, [4.75]);
});
