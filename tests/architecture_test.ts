/**
 * Enforces the dependency rules of ARCHITECTURE.md section 2.2 exactly: the
 * table is transcribed below, "(types)" edges admit `import type` only, and
 * the few edges the table does not list are stated separately, each with
 * its reason. Also: which folders own which npm packages and runtime APIs,
 * and that no import cycle exists in src/ (std's `lint:circular`).
 */
import assert from "node:assert/strict";
import { dirname, relative, resolve } from "node:path";
import { repoPath } from "./_helpers.ts";

/** What an area may import: `values` as values and types, `types` with `import type` only. */
interface Rule {
  values: readonly string[];
  types?: readonly string[];
}

const ALL: Rule = { values: ["*"] };

/** ARCHITECTURE.md 2.2, as written there. */
const TABLE: Readonly<Record<string, Rule>> = {
  // main.ts -> cli -> server.ts -> everything below (wiring only)
  cli: ALL,
  "server.ts": ALL,
  // src/mod.ts is the SDK: it re-exports from anywhere.
  "mod.ts": ALL,
  rest: {
    values: ["dataplane", "protocol", "errors.ts", "metrics/recorder.ts"],
    types: ["settings"],
  },
  grpc: {
    values: ["dataplane", "protocol", "errors.ts", "metrics/recorder.ts"],
    types: ["settings"],
  },
  dataplane: {
    values: ["registry", "repository", "protocol", "errors.ts", "metrics/recorder.ts"],
    types: ["runtime", "settings"],
  },
  registry: { values: ["runtime/model.ts", "settings", "errors.ts"] },
  batching: { values: ["runtime", "protocol", "settings", "errors.ts", "metrics/recorder.ts"] },
  workers: { values: ["runtime", "protocol", "settings", "errors.ts", "metrics/recorder.ts"] },
  runtime: { values: ["codecs", "protocol", "errors.ts"], types: ["settings"] },
  repository: { values: ["settings", "errors.ts"] },
  codecs: { values: ["protocol", "errors.ts"] },
  settings: { values: ["protocol", "errors.ts"] },
  protocol: { values: ["errors.ts"] },
  "errors.ts": { values: [] },
  // Stated additions of the observability issue (ARCHITECTURE.md 2.1 names
  // metrics/; the other two are its neighbours): the recorder's
  // implementation reads only model types and the custom-metric sink type,
  // the tracer implements the recorder's Tracer, the docs read protocol
  // types (and its datatype list). server.ts wires all three in.
  metrics: { values: [], types: ["runtime"] },
  tracing: { values: [], types: ["metrics/recorder.ts"] },
  // The docs also name the protocol's datatypes and model states, from the one list of each.
  docs: { values: ["protocol/datatypes.ts", "protocol/types.ts"], types: ["protocol"] },
};

/**
 * Edges the table does not list, stated here with their reasons (not hidden
 * in the checking code).
 */
const STATED: readonly { from: string; to: string; why: string }[] = [
  { from: "*", to: "logging.ts", why: "a leaf like errors.ts: it imports nothing of ours" },
  { from: "logging.ts", to: "-", why: "imports nothing" },
  { from: "settings", to: "version.ts", why: "the default server_version is the package's" },
  { from: "version.ts", to: "-", why: "a constant; imports nothing" },
  {
    from: "server.ts",
    to: "../runtimes/builtins.ts",
    why: "the composition root wires in the built-in runtimes",
  },
  {
    from: "cli",
    to: "../deno.json",
    why: "init writes the dependency versions into a new project",
  },
  {
    from: "cli",
    to: "../runtimes/onnx/ort.ts",
    why: "the launcher grants --allow-ffi on the ONNX runtime's library folder: the runtime says " +
      "where it is and which version deno.json pins",
  },
  {
    from: "http_server.ts",
    to: "*",
    why: "part of the composition root: the REST listener, split out of server.ts",
  },
  // The SDK's InferenceClient: retries, timeouts and typed arrays over the two
  // transports' clients (rest/client.ts, grpc/client.ts), which may not import
  // each other; a client, so nothing of the server side.
  { from: "client", to: "rest", why: "the REST transport of the client" },
  { from: "client", to: "grpc", why: "the gRPC transport of the client" },
  { from: "client", to: "protocol", why: "the protocol types and tensor codecs it sends" },
  { from: "client", to: "errors.ts", why: "InferenceClientError" },
];

/** npm packages and the only src/ areas that may import them. */
const PACKAGE_OWNERS: Readonly<Record<string, readonly string[]>> = {
  zod: ["protocol", "settings"],
  "@grpc/grpc-js": ["grpc"],
  "@grpc/proto-loader": ["grpc"],
  "@grpc/reflection": ["grpc"],
  "grpc-health-check": ["grpc"],
  // The progress bar of `mlserver infer`.
  "cli-progress": ["cli"],
  // OpenTelemetry SDK and its OTLP/gRPC exporter, loaded only when tracing is on.
  "@opentelemetry/api": ["tracing"],
  "@opentelemetry/core": ["tracing"],
  "@opentelemetry/resources": ["tracing"],
  "@opentelemetry/sdk-trace": ["tracing"],
  "@opentelemetry/exporter-trace-otlp-grpc": ["tracing"],
  // Swagger UI's files, served by the docs pages from the package's folder.
  "swagger-ui-dist": ["docs"],
};
// Test-only packages (protobufjs, yaml, playwright-core) never appear in src/: unlisted above.

/** The package an npm specifier names (`npm:@a/b@1/sub` -> `@a/b`, `c/sub.js` -> `c`). */
function packageOf(specifier: string): string {
  const bare = specifier.replace(/^npm:/, "");
  const parts = bare.split("/");
  const name = bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  return name.replace(/(.)@[^@/]*$/, "$1");
}

/** npm packages a built-in runtime exists to wrap, by runtime folder. */
const RUNTIME_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  // The ONNX runtime wraps onnxruntime-node; node:module's createRequire loads
  // it from the image's library folder (the executable cannot embed it).
  onnx: ["onnxruntime-node", "node:module"],
};

interface Import {
  specifier: string;
  typeOnly: boolean;
}

const IMPORT =
  /(?:^|[\n;])\s*(import|export)\s(type\s)?([^"';]*?)\sfrom\s+["']([^"']+)["']|(?:^|[\n;])\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every import of a file, and whether it is type-only. */
function importsOf(code: string): Import[] {
  const found: Import[] = [];
  for (const match of code.matchAll(IMPORT)) {
    const [, , typeKeyword, clause, fromSpecifier, bareSpecifier, dynamicSpecifier] = match;
    const specifier = (fromSpecifier ?? bareSpecifier ?? dynamicSpecifier)!;
    const braces = /^\{([\s\S]*)\}$/.exec((clause ?? "").trim());
    const names = braces?.[1]?.split(",").map((n) => n.trim()).filter((n) => n !== "") ?? [];
    const typeOnly = typeKeyword !== undefined ||
      (names.length > 0 && names.every((name) => name.startsWith("type ")));
    found.push({ specifier, typeOnly: dynamicSpecifier === undefined && typeOnly });
  }
  return found;
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

function areaOf(path: string): string {
  return path.split("/")[0]!;
}

/** Whether `target` (a path under src/, or `../x` outside it) matches a rule entry. */
function matches(entry: string, target: string): boolean {
  if (entry === "*") return true;
  return entry.endsWith(".ts") || entry.endsWith(".json")
    ? target === entry
    : areaOf(target) === entry;
}

function allowed(from: string, target: string, typeOnly: boolean): boolean {
  const area = areaOf(from);
  if (!target.startsWith("..") && areaOf(target) === area) return true;
  if (STATED.some((s) => matches(s.to, target) && (s.from === "*" || matches(s.from, from)))) {
    return true;
  }
  if (target.startsWith("..")) return false;
  const rule = TABLE[area];
  if (rule === undefined) return false;
  if (rule.values.some((entry) => matches(entry, target))) return true;
  return typeOnly && (rule.types ?? []).some((entry) => matches(entry, target));
}

Deno.test("src/ imports follow ARCHITECTURE.md 2.2 exactly", async () => {
  const src = repoPath("src");
  const problems: string[] = [];
  for await (const file of sourceFiles(src)) {
    const from = relative(src, file);
    const area = areaOf(from);
    if (TABLE[area] === undefined && !STATED.some((s) => s.from === area)) {
      problems.push(`${from}: area '${area}' has no rule`);
      continue;
    }
    for (const { specifier, typeOnly } of importsOf(await codeOf(file))) {
      if (specifier.startsWith(".")) {
        const target = relative(src, resolve(dirname(file), specifier));
        if (!allowed(from, target, typeOnly)) {
          problems.push(`${from} may not import ${target}${typeOnly ? " (even as a type)" : ""}`);
        }
      } else if (!specifier.startsWith("node:")) {
        const pkg = packageOf(specifier);
        const owners = PACKAGE_OWNERS[pkg];
        if (owners === undefined) problems.push(`${from} imports an unlisted package ${specifier}`);
        else if (!owners.includes(area)) problems.push(`${from} may not import ${pkg}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("no import cycle in src/", async () => {
  const src = repoPath("src");
  const graph = new Map<string, string[]>();
  for await (const file of sourceFiles(src)) {
    const targets = importsOf(await codeOf(file))
      .filter(({ specifier }) => specifier.startsWith("."))
      .map(({ specifier }) => resolve(dirname(file), specifier))
      .filter((target) => target.startsWith(src));
    graph.set(file, targets);
  }
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "visiting");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "visiting") {
        const cycle = stack.slice(stack.indexOf(next)).concat(next);
        cycles.push(cycle.map((f) => relative(src, f)).join(" -> "));
      } else if (state.get(next) === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
  assert.deepEqual(cycles, []);
});

Deno.test("runtimes/ import only the SDK, their own folder, runtimes/_shared/ and their own package", async () => {
  const runtimes = repoPath("runtimes");
  const problems: string[] = [];
  for await (const file of sourceFiles(runtimes)) {
    const from = relative(runtimes, file);
    const folder = areaOf(from);
    for (const { specifier } of importsOf(await codeOf(file))) {
      if (specifier === "mlserver") continue;
      if (specifier.startsWith(".")) {
        const target = relative(runtimes, resolve(dirname(file), specifier));
        const ok = areaOf(target) === folder || areaOf(target) === "_shared" ||
          (from === "builtins.ts" && !target.startsWith(".."));
        if (!ok) problems.push(`${from} imports ${specifier}`);
      } else {
        const pkg = specifier.replace(/^npm:/, "").replace(/@[^@/]*$/, "");
        if (!(RUNTIME_PACKAGES[folder] ?? []).includes(pkg)) {
          problems.push(`${from} imports ${specifier}, which is not its runtime's own package`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("runtime APIs stay in their owning files", async () => {
  const src = repoPath("src");
  const offenders: string[] = [];
  for await (const file of sourceFiles(src)) {
    const from = relative(src, file);
    const text = await codeOf(file);
    if (/Deno\.(env|args)\b/.test(text) && areaOf(from) !== "cli" && from !== "settings/load.ts") {
      offenders.push(`${from} reads Deno.env or Deno.args`);
    }
    // The composition root starts listeners: server.ts, and http_server.ts split out of it.
    const isRoot = from === "server.ts" || from === "http_server.ts";
    if (/Deno\.(serve|listen)\(/.test(text) && !isRoot) {
      offenders.push(`${from} starts a listener`);
    }
    if (/new Worker\(/.test(text) && from !== "workers/pool.ts") {
      offenders.push(`${from} spawns a Worker`);
    }
    if (/node:assert/.test(text)) offenders.push(`${from} imports node:assert`);
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the import reader tells type-only imports from value imports", () => {
  const cases: [string, Import[]][] = [
    ['import type { A } from "./a.ts";', [{ specifier: "./a.ts", typeOnly: true }]],
    ['import { type A, type B } from "./a.ts";', [{ specifier: "./a.ts", typeOnly: true }]],
    ['import { type A, B } from "./a.ts";', [{ specifier: "./a.ts", typeOnly: false }]],
    ['import * as grpc from "@grpc/grpc-js";', [{ specifier: "@grpc/grpc-js", typeOnly: false }]],
    ['export { x } from "./x.ts";', [{ specifier: "./x.ts", typeOnly: false }]],
    ['export type { X } from "./x.ts";', [{ specifier: "./x.ts", typeOnly: true }]],
    ['const m = await import("./m.ts");', [{ specifier: "./m.ts", typeOnly: false }]],
    ['import "./side_effect.ts";', [{ specifier: "./side_effect.ts", typeOnly: false }]],
  ];
  for (const [code, expected] of cases) assert.deepEqual(importsOf(code), expected, code);
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
