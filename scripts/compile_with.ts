/**
 * Rebuilds the executable with a folder's own runtime modules and the
 * dependencies its deno.json declares; the Dockerfile `mlserver dockerfile`
 * writes runs this in the builder image (the server Dockerfile's `compile`
 * stage). A compiled executable cannot fetch packages when it runs, so code
 * that imports npm packages must be compiled in:
 *
 *   deno run --allow-read --allow-write --allow-run --allow-env scripts/compile_with.ts FOLDER OUTPUT
 *
 * The folder must sit where the image serves it from (/opt/mlserver/models),
 * so the modules the server imports at run time are the embedded ones. The
 * compile flags are those of `deno task compile`; the folder's imports are
 * merged into ours (ours win: `"mlserver"` is the server's SDK).
 *
 * @module
 */

import { join, relative } from "node:path";
import { findModules, readFolderConfig } from "../src/cli/packaging.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * The arguments of `deno task compile` (without `deno`), writing to `output`:
 * the one reading of the task, shared with tests/compile_test.ts.
 */
export async function compileTaskArgs(output: string): Promise<string[]> {
  const ours = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const args: string[] = ours.tasks.compile.split(/\s+/);
  if (args.shift() !== "deno") throw new Error("the compile task must start with deno");
  const at = args.indexOf("--output");
  if (at < 0) throw new Error("the compile task must name its --output");
  args[at + 1] = output;
  return args;
}

/** The compile command line for a folder. */
export async function compileWithArgs(folder: string, output: string): Promise<string[]> {
  const ours = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const theirs = await readFolderConfig(folder);
  const merged = { ...ours, imports: { ...theirs.imports, ...ours.imports } };
  await Deno.writeTextFile(join(ROOT, "deno.compile.json"), JSON.stringify(merged, null, 2));
  const args = await compileTaskArgs(output);
  const at = args.indexOf("main.ts");
  const extra = ["--config", "deno.compile.json", "--lock=deno.compile.lock"];
  for (const module of await findModules(folder)) extra.push("--include", join(folder, module));
  args.splice(at, 0, ...extra);
  return args;
}

if (import.meta.main) {
  const [folder, output] = Deno.args;
  if (folder === undefined || output === undefined) {
    console.error("usage: compile_with.ts FOLDER OUTPUT");
    Deno.exit(2);
  }
  const args = await compileWithArgs(folder, output);
  console.log(`deno ${args.map((a) => relative(ROOT, a) || a).join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  Deno.exit(code);
}
