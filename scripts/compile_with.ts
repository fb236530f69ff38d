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

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const MODULE = /\.(?:ts|mts|js|mjs)$/;

/** Strips `//` and block comments from deno.jsonc text (not inside strings). */
function stripComments(text: string): string {
  return text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, str) => str ?? "");
}

async function readConfig(folder: string): Promise<{ imports?: Record<string, string> }> {
  for (const name of ["deno.json", "deno.jsonc"]) {
    try {
      return JSON.parse(stripComments(await Deno.readTextFile(join(folder, name))));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return {};
}

async function modules(folder: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        if (!entry.name.startsWith(".") && entry.name !== "node_modules") await visit(path);
      } else if (MODULE.test(entry.name) && !entry.name.endsWith("_test.ts")) {
        found.push(path);
      }
    }
  };
  await visit(folder);
  return found.sort();
}

/** The compile command line for a folder. */
export async function compileWithArgs(folder: string, output: string): Promise<string[]> {
  const ours = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const theirs = await readConfig(folder);
  const merged = { ...ours, imports: { ...theirs.imports, ...ours.imports } };
  await Deno.writeTextFile(join(ROOT, "deno.compile.json"), JSON.stringify(merged, null, 2));
  const args: string[] = ours.tasks.compile.split(/\s+/).slice(1);
  args[args.indexOf("--output") + 1] = output;
  const at = args.indexOf("main.ts");
  const extra = ["--config", "deno.compile.json", "--lock=deno.compile.lock"];
  for (const module of await modules(folder)) extra.push("--include", module);
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
