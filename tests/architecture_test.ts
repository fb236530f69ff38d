/**
 * Enforces the dependency rules of ARCHITECTURE.md section 2.2: each folder
 * of src/ may import only the folders listed for it, and the npm packages
 * and runtime APIs stay in their owning folders.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { repoPath } from "./_helpers.ts";

/** Which src/ areas each area may import (files at the top of src/ are areas too). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  "mod.ts": ["*"],
  "server.ts": ["*"],
  cli: ["*"],
  // The SDK's InferenceClient: retries and timeouts over the two transports
  // (rest/client.ts, grpc/client.ts), which may not import each other.
  client: ["rest", "grpc", "protocol", "errors.ts"],
  rest: ["dataplane", "protocol", "errors.ts", "logging.ts", "settings", "metrics"],
  grpc: ["dataplane", "protocol", "errors.ts", "logging.ts", "settings", "metrics"],
  dataplane: [
    "registry",
    "repository",
    "runtime",
    "protocol",
    "errors.ts",
    "logging.ts",
    "settings",
    "metrics",
  ],
  registry: ["runtime", "settings", "protocol", "errors.ts", "logging.ts"],
  batching: ["runtime", "protocol", "settings", "errors.ts", "logging.ts", "metrics"],
  workers: ["runtime", "protocol", "settings", "errors.ts", "logging.ts", "metrics", "codecs"],
  runtime: ["codecs", "protocol", "settings", "errors.ts", "logging.ts"],
  repository: ["settings", "errors.ts", "logging.ts"],
  codecs: ["protocol", "errors.ts"],
  settings: ["protocol", "errors.ts", "logging.ts", "version.ts"],
  metrics: ["errors.ts"],
  protocol: ["errors.ts"],
  "errors.ts": [],
  "logging.ts": [],
  "version.ts": [],
};

/** npm packages and the only areas allowed to import them. */
const PACKAGE_OWNERS: Readonly<Record<string, readonly string[]>> = {
  zod: ["protocol", "settings"],
  "@grpc/grpc-js": ["grpc"],
  "@grpc/proto-loader": ["grpc"],
  "@grpc/reflection": ["grpc"],
  "grpc-health-check": ["grpc"],
  // The progress bar of `mlserver infer`.
  "cli-progress": ["cli"],
};
// Test-only packages (protobufjs, yaml) never appear in src/: unlisted above.

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function areaOf(path: string): string {
  return path.split("/")[0]!;
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/**
 * A source file without comments and template literals: JSDoc examples and
 * template text (init's scaffold) import "mlserver" and node:assert like
 * users' code does; only real code counts.
 */
async function codeOf(file: string): Promise<string> {
  return (await Deno.readTextFile(file))
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/`(?:\\[\s\S]|[^`\\])*`/g, "``");
}

Deno.test("src/ imports follow the dependency rules", async () => {
  const src = repoPath("src");
  const problems: string[] = [];
  for await (const file of sourceFiles(src)) {
    const from = relative(src, file);
    const area = areaOf(from);
    const allowed = ALLOWED[area];
    assert.ok(allowed !== undefined, `no rule for ${area}`);
    const text = await codeOf(file);
    for (const match of text.matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith(".")) {
        const target = relative(src, new URL(specifier, `file://${file}`).pathname);
        const targetArea = areaOf(target);
        // deno.json is where versions live; cli/ reads it (init writes them out).
        const isConfig = target === "../deno.json" && area === "cli";
        // The composition root wires in the built-in runtimes' table.
        const isBuiltins = target === "../runtimes/builtins.ts" && from === "server.ts";
        if (target.startsWith("..") && !isConfig && !isBuiltins) {
          problems.push(`${from} imports outside src/: ${specifier}`);
        } else if (targetArea !== area && !allowed.includes("*") && !allowed.includes(targetArea)) {
          problems.push(`${from} (${area}) may not import ${target}`);
        }
      } else if (!specifier.startsWith("node:")) {
        const pkg = specifier.replace(/^npm:/, "").replace(/@[^@/]*$/, "");
        const owners = PACKAGE_OWNERS[pkg];
        if (owners === undefined) problems.push(`${from} imports an unlisted package ${specifier}`);
        else if (!owners.includes(area)) problems.push(`${from} may not import ${pkg}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test('runtimes/ import only the SDK ("mlserver") and files of their own folder', async () => {
  const runtimes = repoPath("runtimes");
  const problems: string[] = [];
  for await (const file of sourceFiles(runtimes)) {
    const from = relative(runtimes, file);
    for (const match of (await codeOf(file)).matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2])!;
      const target = relative(runtimes, new URL(specifier, `file://${file}`).pathname);
      const ownFolder = specifier.startsWith(".") && areaOf(target) === areaOf(from) ||
        from === "builtins.ts" && specifier.startsWith("./");
      if (specifier !== "mlserver" && !ownFolder) problems.push(`${from} imports ${specifier}`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("Deno.env is read only in cli/, listeners start only in server.ts", async () => {
  const src = repoPath("src");
  const offenders: string[] = [];
  for await (const file of sourceFiles(src)) {
    const from = relative(src, file);
    const text = await codeOf(file);
    if (/Deno\.env\b/.test(text) && areaOf(from) !== "cli") offenders.push(from);
    if (/Deno\.serve\(/.test(text) && from !== "server.ts") {
      offenders.push(`${from} starts a listener`);
    }
    if (/node:assert/.test(text)) offenders.push(`${from} imports node:assert`);
  }
  assert.deepEqual(offenders, []);
});

/** The JSR scheme, spelled in two parts so that this file does not contain it. */
const JSR_SCHEME = "jsr" + ":";

Deno.test("no JSR specifier anywhere in the project (the registry is unreachable here)", async () => {
  const files = [repoPath("deno.json"), repoPath("deno.lock"), repoPath("main.ts")];
  for (const dir of ["src", "runtimes", "examples", "tests", "bench", "scripts"]) {
    for await (const file of sourceFiles(repoPath(dir))) files.push(file);
  }
  const offenders: string[] = [];
  for (const file of files) {
    if ((await Deno.readTextFile(file)).includes(JSR_SCHEME)) {
      offenders.push(relative(repoPath(), file));
    }
  }
  assert.deepEqual(offenders, []);
});
