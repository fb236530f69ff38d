/**
 * Least privilege for `start`: Deno's permissions are fixed when a process
 * starts, and what the server needs (its models folder, its ports) is only
 * known from the command line and settings. So `start`, when it may spawn
 * Deno, works out that set and runs the server in a child process holding
 * only it:
 * - read: the models folder, `MLSERVER_MODULE_PATH`, the working folder, an
 *   environment-only model's uri, Deno's cache (npm packages read their own
 *   files), and the ONNX library when granted FFI;
 * - env: all of an environment filtered to what settings and the server's
 *   dependencies read (`MLSERVER_*`, `GRPC_*`, `OTEL_*`, Deno's own);
 * - net: the listen addresses, and the tracing endpoint;
 * - FFI: the ONNX Runtime library only, and only when an ONNX model is in the
 *   folder at start or `--allow-ffi` is given; no write, no run.
 * More is granted by passing Deno's own flags to `start`
 * (`--allow-net=s3.amazonaws.com:443`, `--allow-env=AWS_*`).
 *
 * Deno refuses `/proc` to anything short of `--allow-all`, and the HTTP
 * connection guard needs the socket table: this parent process, which runs
 * no model code, reads it with `cat` and hands the child the lines for its
 * port on standard input.
 *
 * @module
 */

import { delimiter, dirname, join, resolve } from "node:path";
import { defaultLibraryFolder, PACKAGE as ONNX_PACKAGE } from "../../runtimes/onnx/ort.ts";
import { addressHost, hostPort } from "../errors.ts";
import { localModelPath } from "../runtime/model_uri.ts";
import type { ModelRepository } from "../repository/repository.ts";
import { parseSocketTable } from "../rest/connection_guard.ts";
import type { ServerSettings } from "../settings/server_settings.ts";

/** Marks the child, so it serves instead of launching again. */
export const LAUNCHED = "MLSERVER_LAUNCHED";
/** Tells the child its connection table arrives on standard input. */
export const CONNECTIONS_FROM_STDIN = "MLSERVER_CONNECTIONS_FROM";

/** Environment variables the child gets: settings, its dependencies', Deno's, the locale. */
const FORWARDED_ENV = [
  /^MLSERVER_/i,
  /^GRPC_/i,
  /^OTEL_/,
  /^DENO_/,
  /^(HOME|PATH|XDG_CACHE_HOME|TZ|LANG|LC_[A-Z]+|NO_COLOR|RUST_BACKTRACE|TMPDIR)$/,
];

/** Deno's permission flags, as `start` accepts them to grant more. */
const PERMISSION_FLAG = /^--allow-(read|write|net|env|run|ffi|sys|import)(=.*)?$/;

/** Splits Deno permission flags off a command line. */
export function takePermissionFlags(args: readonly string[]): { flags: string[]; rest: string[] } {
  const flags = args.filter((arg) => PERMISSION_FLAG.test(arg));
  return { flags, rest: args.filter((arg) => !PERMISSION_FLAG.test(arg)) };
}

/** Whether this process may run the server in a scoped child (it is `deno run` with run permission). */
export function mayLaunch(env: Readonly<Record<string, string>>): boolean {
  if (env[LAUNCHED] === "1") return false;
  try {
    return Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
      "granted";
  } catch {
    return false;
  }
}

/** What the scoped child is given. */
export interface LaunchPlan {
  permissions: string[];
  env: Record<string, string>;
}

/** What the plan is made from. */
export interface LaunchInputs {
  settings: ServerSettings;
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Permission flags given to `start`, granted on top. */
  extra: readonly string[];
  /** Whether the models folder holds an ONNX model now. */
  onnx: boolean;
  /** Local model files and folders the settings files name (their `parameters.uri`). */
  modelUris: readonly string[];
  /** Deno's cache folder. */
  denoDir: string;
  /** Where the ONNX Runtime library may be. */
  onnxLibraries: readonly string[];
}

/** Works out the child's permissions and environment. */
export function planLaunch(inputs: LaunchInputs): LaunchPlan {
  const { settings, env, cwd, extra } = inputs;
  const env2: Record<string, string> = {};
  const forwardedByFlag = extra
    .filter((flag) => flag.startsWith("--allow-env="))
    .flatMap((flag) => flag.slice("--allow-env=".length).split(","));
  for (const [name, value] of Object.entries(env)) {
    if (FORWARDED_ENV.some((pattern) => pattern.test(name)) || matchesAny(name, forwardedByFlag)) {
      env2[name] = value;
    }
  }
  env2[LAUNCHED] = "1";
  const reads = new Set<string>([
    resolve(cwd, settings.model_repository_root),
    cwd,
    inputs.denoDir,
  ]);
  // Read as the server reads it (settings/load.ts): any case, the platform's delimiter.
  for (const folder of (envValue(env, "MLSERVER_MODULE_PATH") ?? "").split(delimiter)) {
    if (folder !== "") reads.add(resolve(cwd, folder));
  }
  for (const uri of inputs.modelUris) reads.add(uri);
  const modelUri = envValue(env, "MLSERVER_MODEL_URI");
  const modelPath = modelUri === undefined ? undefined : localModelPath(modelUri, cwd);
  if (modelPath !== undefined) reads.add(modelPath);
  const grants = new Grants();
  grants.add("sys", ["uid"]);
  // The child's environment is already filtered: it may read all of it.
  grants.add("env", undefined);
  const ffiAsked = extra.includes("--allow-ffi");
  if ((inputs.onnx || ffiAsked) && inputs.onnxLibraries.length > 0) {
    for (const library of inputs.onnxLibraries) reads.add(library);
    grants.add("ffi", inputs.onnxLibraries);
  }
  grants.add("read", [...reads]);
  grants.add("net", listenAddresses(settings));
  for (const flag of extra) {
    const [, name, value] = /^--allow-([a-z]+)(?:=(.*))?$/.exec(flag)!;
    if (name === "env" || (name === "ffi" && value === undefined)) continue; // handled above
    grants.add(name!, value === undefined ? undefined : value.split(","));
  }
  return { permissions: [...grants.flags(), "--no-prompt"], env: env2 };
}

/**
 * Permission grants merged per kind: Deno takes one flag per kind, so the
 * server's own grants and the user's extra ones must become one list (or
 * "all" when either is unscoped).
 */
class Grants {
  readonly #kinds = new Map<string, Set<string> | "all">();

  add(kind: string, values: readonly string[] | undefined): void {
    const current = this.#kinds.get(kind);
    if (values === undefined || current === "all") {
      this.#kinds.set(kind, "all");
      return;
    }
    const set = current ?? new Set<string>();
    for (const value of values) if (value !== "") set.add(value);
    this.#kinds.set(kind, set);
  }

  flags(): string[] {
    return [...this.#kinds].map(([kind, values]) =>
      values === "all" ? `--allow-${kind}` : `--allow-${kind}=${[...values].join(",")}`
    );
  }
}

/** The addresses the server listens on (and its tracing endpoint), as `--allow-net` names them. */
export function listenAddresses(settings: ServerSettings): string[] {
  const at = (port: number) =>
    port === 0 ? addressHost(settings.host) : hostPort(settings.host, port);
  const addresses = [at(settings.http_port), at(settings.grpc_port)];
  if (settings.metrics_endpoint !== null) addresses.push(at(settings.metrics_port));
  const tracing = settings.tracing_server;
  if (tracing !== null && tracing !== "") addresses.push(endpointHost(tracing));
  return [...new Set(addresses)];
}

/**
 * The `host:port` an OTLP endpoint names, read as the tracer reads it (a URL,
 * `http://` when it has no scheme), so `http://collector:4317/` grants
 * `collector:4317`.
 */
function endpointHost(endpoint: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  try {
    return new URL(url).host;
  } catch {
    return endpoint; // the tracer refuses it too; Deno names the bad flag
  }
}

/** Deno's cache folder: `DENO_DIR`, else `$XDG_CACHE_HOME/deno`, else `~/.cache/deno`. */
export function denoCacheDir(env: Readonly<Record<string, string>>): string {
  if (env.DENO_DIR) return resolve(env.DENO_DIR);
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "deno");
  return join(env.HOME ?? "/root", ".cache", "deno");
}

/** Folders that may hold the ONNX Runtime library: the image's, and the npm cache's. */
export async function onnxLibraryFolders(denoDir: string, version: string): Promise<string[]> {
  const candidates = [
    defaultLibraryFolder(),
    join(denoDir, "npm", "registry.npmjs.org", ONNX_PACKAGE, version, "bin"),
  ];
  const found: string[] = [];
  for (const folder of candidates) {
    try {
      if ((await Deno.stat(folder)).isDirectory) found.push(folder);
    } catch {
      // Not there.
    }
  }
  return found;
}

/**
 * What the models found at start need: their local uris (read), and whether
 * any runs on ONNX (FFI).
 */
export async function scanModels(
  repository: ModelRepository,
): Promise<{ uris: string[]; onnx: boolean }> {
  const uris: string[] = [];
  let onnx = false;
  for (const entry of await repository.list()) {
    if (!entry.ok) continue;
    const { implementation, parameters, _source } = entry.settings;
    const given = parameters.uri;
    // Resolved as getModelUri resolves it: relative to its settings file, `file:` as a path.
    const uri = given === undefined || given === ""
      ? undefined
      : localModelPath(given, _source === undefined ? undefined : dirname(_source));
    if (uri !== undefined) uris.push(uri);
    if (implementation.startsWith("mlserver_onnx.")) onnx = true;
    if (implementation === "mlserver_sklearn.SKLearnModel" && uri !== undefined) {
      if (uri.endsWith(".onnx") || await exists(join(uri, "model.onnx"))) onnx = true;
    }
  }
  return { uris, onnx };
}

/** Whether this process is `deno run` (not a compiled executable, whose permissions are fixed). */
export function isDenoRun(): boolean {
  return /(^|\/)deno(\.exe)?$/.test(Deno.execPath());
}

/** How the child is started. */
export interface ChildCommand {
  /** `deno run`: the config and main module; a compiled executable runs itself. */
  source?: { configPath: string; mainPath: string };
  args: readonly string[];
  /** The HTTP port whose connections the child's guard needs (0: none). */
  httpPort: number;
}

/**
 * Runs the server in the scoped child: forwards SIGTERM and SIGINT, feeds
 * it the HTTP port's socket table each second, and resolves with its exit
 * code.
 */
export async function runScoped(plan: LaunchPlan, command: ChildCommand): Promise<number> {
  const monitored = command.httpPort !== 0;
  const { source } = command;
  const args = source === undefined
    ? [...command.args] // a compiled executable: its permissions are its own
    : [
      "run",
      // request.signal aborts only when a client leaves, not after every answer.
      "--unstable-no-legacy-abort",
      ...plan.permissions,
      "--config",
      source.configPath,
      source.mainPath,
      ...command.args,
    ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: monitored ? { ...plan.env, [CONNECTIONS_FROM_STDIN]: "stdin" } : plan.env,
    clearEnv: true,
    stdin: monitored ? "piped" : "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((signal) => {
    const handler = forward(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  let feeding: Promise<void> | undefined;
  const done = child.status;
  if (monitored) feeding = feedConnections(child.stdin, command.httpPort, done);
  try {
    const status = await done;
    return status.signal === null ? status.code : 128 + signalNumber(status.signal);
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    await feeding;
  }
}

/** Writes the port's connections, one JSON line a second, until the child exits. */
async function feedConnections(
  stdin: WritableStream<Uint8Array>,
  port: number,
  exited: Promise<unknown>,
): Promise<void> {
  const writer = stdin.getWriter();
  const encoder = new TextEncoder();
  let running = true;
  exited.then(() => running = false);
  try {
    while (running) {
      const table = await readSocketTables();
      if (table !== undefined) {
        const entries = parseSocketTable(table, port).map((e) => [e.key, e.remotePort]);
        await writer.write(encoder.encode(JSON.stringify(entries) + "\n"));
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
    }
  } catch {
    // The child closed its input (it exited): nothing more to feed.
  } finally {
    await writer.close().catch(() => {});
  }
}

/** `/proc/net/tcp` and `tcp6` as one text, read by `cat` (Deno allows /proc only with --allow-all). */
async function readSocketTables(): Promise<string | undefined> {
  try {
    const { code, stdout } = await new Deno.Command("cat", {
      args: ["/proc/net/tcp", "/proc/net/tcp6"],
      stdout: "piped",
      stderr: "null",
    }).output();
    // cat fails when tcp6 is missing (no IPv6) but still printed tcp: use what came.
    const text = new TextDecoder().decode(stdout);
    return code === 0 || text !== "" ? text : undefined;
  } catch {
    return undefined;
  }
}

function signalNumber(signal: Deno.Signal): number {
  return signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 15;
}

function envValue(env: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(env)) {
    if (key.toUpperCase() === name && value !== "") return value;
  }
  return undefined;
}

function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
