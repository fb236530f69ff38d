/**
 * `mlserver init [DIR]`: scaffolds a custom-runtime project, offline. The
 * SDK is copied into the project (from this installation's sources, which a
 * compiled executable carries too) so its test runs at once.
 *
 * @module
 */

import { dirname, join } from "node:path";
import denoConfig from "../../deno.json" with { type: "json" };
import { parseCommandArgs, UsageError } from "./args.ts";
import { scaffoldFiles, SDK_FOLDER } from "./scaffold.ts";

/** Help text of `init`. */
export const INIT_HELP = `Usage: mlserver init [DIR] [options]

Create a custom-runtime project in DIR (default: the current folder): a runtime
module, a model folder with model-settings.json, a test and a README. Works
offline; existing files are never overwritten unless --force.

Options:
  --force       Overwrite existing files
  -h, --help    Show this help
`;

const SDK_ROOT = new URL("../", import.meta.url);
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** The SDK's source files (relative to src/), following imports from mod.ts. */
export async function sdkSources(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const pending = ["mod.ts"];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (files.has(path)) continue;
    const text = await Deno.readTextFile(new URL(path, SDK_ROOT));
    files.set(path, text);
    for (const match of text.matchAll(RELATIVE_IMPORT)) {
      const target = new URL(match[1]!, new URL(path, SDK_ROOT)).href.slice(SDK_ROOT.href.length);
      if (!files.has(target)) pending.push(target);
    }
  }
  return files;
}

/** Runs `init`. */
export async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { force: { type: "boolean" } });
  if (positionals.length > 1) throw new UsageError(`init takes one DIR, got ${positionals.length}`);
  const root = positionals[0] ?? ".";
  const files: Record<string, string> = scaffoldFiles(denoConfig.imports.zod);
  for (const [path, text] of await sdkSources()) files[`${SDK_FOLDER}/${path}`] = text;
  if (values.force !== true) {
    const existing: string[] = [];
    for (const path of Object.keys(files)) {
      try {
        await Deno.lstat(join(root, path));
        existing.push(path);
      } catch {
        // Free to write.
      }
    }
    if (existing.length > 0) {
      throw new UsageError(
        `${root} already has ${existing.slice(0, 3).join(", ")}${
          existing.length > 3 ? ", ..." : ""
        }: ` +
          `nothing written (use --force to overwrite)`,
      );
    }
  }
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, path)), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
  console.log(
    `Created a custom-runtime project in ${root}. Next: cd ${root} && deno test --allow-read`,
  );
  return 0;
}
