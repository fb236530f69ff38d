/**
 * `mlserver init [DIR]`: scaffolds a custom-runtime project, offline. The
 * SDK is copied into the project (from this installation's sources, which a
 * compiled executable carries too) so its test runs at once.
 *
 * @module
 */

import { dirname, join } from "node:path";
import denoConfig from "../../deno.json" with { type: "json" };
import { VERSION } from "../version.ts";
import { parseCommandArgs, UsageError } from "./args.ts";
import { scaffoldFiles, SDK_FOLDER } from "./scaffold.ts";

/** Help text of `init`. */
export const INIT_HELP = `Usage: mlserver init [DIR] [options]

Create a custom-runtime project in DIR (default: the current folder): a runtime
module, a model folder with model-settings.json, a test and a README. Works
offline; existing files are never overwritten unless --force.

Options:
  --force       Overwrite existing files
  --sdk         Only rewrite the SDK copy (.mlserver/sdk/), after an upgrade
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

const BARE_IMPORT = /(?:from|import)\s*\(?\s*["']([^."'][^"']*)["']/g;

/**
 * The import-map entries the SDK copy needs: the server's own entries for the
 * packages its files import (zod, grpc-js), so the project resolves them as
 * the server does.
 */
export function sdkImports(texts: Iterable<string>): Record<string, string> {
  const imports: Record<string, string> = {};
  const known: Readonly<Record<string, string>> = denoConfig.imports;
  for (const text of texts) {
    for (const match of text.matchAll(BARE_IMPORT)) {
      const name = match[1]!;
      if (name !== "mlserver" && known[name] !== undefined) imports[name] = known[name];
    }
  }
  return Object.fromEntries(Object.entries(imports).sort(([a], [b]) => a.localeCompare(b)));
}

/** Runs `init`. */
export async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    force: { type: "boolean" },
    sdk: { type: "boolean" },
  });
  if (positionals.length > 1) throw new UsageError(`init takes one DIR, got ${positionals.length}`);
  const root = positionals[0] ?? ".";
  const sdk = await sdkSources();
  const files: Record<string, string> = scaffoldFiles(
    sdkImports(sdk.values()),
    denoConfig.compilerOptions,
  );
  for (const [path, text] of sdk) files[`${SDK_FOLDER}/${path}`] = text;
  if (values.sdk === true) {
    await Deno.remove(join(root, SDK_FOLDER), { recursive: true }).catch(() => {});
    for (const path of Object.keys(files)) {
      if (!path.startsWith(`${SDK_FOLDER}/`)) delete files[path];
    }
  } else if (values.force !== true) {
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
  if (values.sdk === true) {
    console.log(`Wrote the SDK of mlserver ${VERSION} to ${join(root, SDK_FOLDER)}`);
    return 0;
  }
  console.log(
    `Created a custom-runtime project in ${root}. Next:\n` +
      `  cd ${root}\n  deno task test            # its test\n` +
      `  mlserver start models     # serve it on http://localhost:8080`,
  );
  return 0;
}
