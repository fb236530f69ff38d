/**
 * `mlserver start [FOLDER]`: loads settings, starts the server and runs until
 * SIGTERM or SIGINT, then stops gracefully (a second signal, a second or
 * more after the first, exits at once).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import config from "../../deno.json" with { type: "json" };
import { pinnedVersion as pinnedOnnxVersion } from "../../runtimes/onnx/ort.ts";
import { createLogger, type Logger, type LogLevel, silentLogger } from "../logging.ts";
import { ModelRepository } from "../repository/repository.ts";
import { ModelServer } from "../server.ts";
import { loadServerSettings, type ModelSources, readModelSources } from "../settings/load.ts";
import { loggerOptions } from "../settings/logging_settings.ts";
import type { ServerSettings } from "../settings/server_settings.ts";
import { connectionsFromStdin } from "./connections_stdin.ts";
import {
  CONNECTIONS_FROM_STDIN,
  denoCacheDir,
  isDenoRun,
  mayLaunch,
  onnxLibraryFolders,
  planLaunch,
  runScoped,
  scanModels,
  takePermissionFlags,
} from "./launcher.ts";
import type { ServerSettingsInput } from "../settings/server_settings.ts";
import { parseCommandArgs, UsageError } from "./args.ts";

/** Help text of `start`. */
export const START_HELP = `Usage: mlserver start [FOLDER] [options]

Serve every model under FOLDER (each described by a model-settings.json).
FOLDER defaults to $MLSERVER_MODELS_DIR, else the current folder. Settings
come from FOLDER/settings.json and MLSERVER_* environment variables; flags win.

Options:
  --host HOST           Address to bind (default 0.0.0.0)
  --http-port PORT      REST port (default 8080)
  --grpc-port PORT      gRPC port (default 8081)
  --metrics-port PORT   Metrics port (default 8082)
  --debug               Debug logging
  -h, --help            Show this help
`;

/** Signals closer together than this are one request to stop. */
const SIGNALS_TOGETHER_MS = 1000;

/** Runs `start`; resolves with the exit code once the server has stopped. */
export async function startCommand(
  rawArgs: string[],
  env: Readonly<Record<string, string>>,
): Promise<number> {
  // Deno permission flags, from the command line or MLSERVER_PERMISSIONS (an
  // image's way: its command line is fixed).
  const fromEnv = (env.MLSERVER_PERMISSIONS ?? "").split(/\s+/).filter((flag) => flag !== "");
  const { flags: envFlags, rest: notFlags } = takePermissionFlags(fromEnv);
  if (notFlags.length > 0) {
    throw new UsageError(`MLSERVER_PERMISSIONS: '${notFlags[0]}' is not a Deno --allow-* flag`);
  }
  const { flags: argFlags, rest: args } = takePermissionFlags(rawArgs);
  const permissionFlags = [...envFlags, ...argFlags];
  const { values, positionals } = parseCommandArgs(args, {
    host: { type: "string" },
    "http-port": { type: "string" },
    "grpc-port": { type: "string" },
    "metrics-port": { type: "string" },
    debug: { type: "boolean" },
  });
  if (positionals.length > 1) {
    throw new UsageError(`start takes one FOLDER, got ${positionals.length}`);
  }
  const explicitFolder = positionals[0] ?? nonEmpty(env.MLSERVER_MODELS_DIR);
  const folder = explicitFolder ?? ".";
  const flags: ServerSettingsInput = {};
  if (explicitFolder !== undefined) flags.model_repository_root = explicitFolder;
  if (values.host !== undefined) flags.host = values.host;
  if (values.debug === true) flags.debug = true;
  for (
    const [flag, key] of [
      ["http-port", "http_port"],
      ["grpc-port", "grpc_port"],
      ["metrics-port", "metrics_port"],
    ] as const
  ) {
    const value = values[flag];
    if (value === undefined) continue;
    if (!/^\d+$/.test(value)) {
      throw new UsageError(`--${flag} must be a port number, got '${value}'`);
    }
    flags[key] = Number(value);
  }
  const missing = await checkFolder(folder);
  // Settings are read before the logger exists: keep their lines and replay
  // them through it, so they get its levels and its format.
  const early: string[] = [];
  const settings = await loadServerSettings({
    folder,
    env,
    flags,
    logger: createLogger({ level: "debug", structured: true, write: (line) => early.push(line) }),
  });
  const models = readModelSources(env);
  // The launcher only launches: the server in the child does the logging.
  if (mayLaunch(env)) return await launch(args, permissionFlags, { settings, models, env });
  const logger = createLogger(await loggerOptions(settings, Deno.cwd()));
  replay(early, logger);
  if (missing) {
    // ModelMesh's adapter may create the folder after the server starts: serve anyway.
    logger.warning(`Models folder '${folder}' does not exist yet: serving no models until it does`);
  }
  if (permissionFlags.length > 0) {
    logger.warning(
      `${permissionFlags.join(" ")}: permission flags take effect when start may spawn Deno ` +
        `(--allow-run); here the process's own permissions apply`,
    );
  }
  dropPermissions();
  const server = new ModelServer({
    settings,
    models,
    logger,
    ...(env[CONNECTIONS_FROM_STDIN] === "stdin" ? { connections: connectionsFromStdin() } : {}),
  });
  const stopped = Promise.withResolvers<void>();
  let firstSignalAt: number | undefined;
  const onSignal = (): void => {
    const now = performance.now();
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      server.stop().then(stopped.resolve, stopped.reject);
      return;
    }
    // Ctrl-C under `deno task` reaches the server twice at once (the task
    // forwards it, and the terminal signals the whole group): signals that
    // arrive together are one request to stop; a later one means "now".
    if (now - firstSignalAt < SIGNALS_TOGETHER_MS) return;
    logger.warning("Second signal: exiting now");
    Deno.exit(1);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, onSignal);
  try {
    await server.start();
    await stopped.promise;
  } finally {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
  }
  return 0;
}

/** Logs the JSON lines of an early logger again through `logger`. */
function replay(lines: readonly string[], logger: Logger): void {
  for (const line of lines) {
    const { name, level, message } = JSON.parse(line) as {
      name: string;
      level: string;
      message: string;
    };
    const target = name.startsWith("mlserver.")
      ? logger.child(name.slice("mlserver.".length))
      : logger;
    const method = level.toLowerCase() as LogLevel;
    if (method === "error") target.error(message);
    else target[method](message);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Returns true when the models folder does not exist (yet).
 *
 * @throws {UsageError} when the path exists but is not a folder
 */
async function checkFolder(folder: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(folder);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return true;
    throw new UsageError(`Cannot read models folder '${folder}': ${(err as Error).message}`);
  }
  if (!info.isDirectory) throw new UsageError(`Models folder '${folder}' is not a folder`);
  return false;
}

/** What the launch is worked out from. */
interface LaunchContext {
  settings: ServerSettings;
  models: ModelSources;
  env: Readonly<Record<string, string>>;
}

/** Runs the server in a child holding only the permissions it needs (see `launcher.ts`). */
async function launch(
  args: string[],
  extra: string[],
  { settings, models, env }: LaunchContext,
): Promise<number> {
  const source = isDenoRun()
    ? {
      configPath: fileURLToPath(new URL("../../deno.json", import.meta.url)),
      mainPath: fileURLToPath(new URL("../../main.ts", import.meta.url)),
    }
    : undefined;
  // A compiled executable's child keeps the permissions it was compiled with and
  // takes only the plan's environment: the models need no scan for it.
  const { uris, onnx } = source === undefined ? { uris: [], onnx: false } : await scanModels(
    new ModelRepository({
      root: settings.model_repository_root,
      defaults: models.defaults,
      logger: silentLogger,
    }),
  );
  const denoDir = denoCacheDir(env);
  const onnxVersion = pinnedOnnxVersion(config.imports) ?? "";
  const plan = planLaunch({
    settings,
    env,
    cwd: Deno.cwd(),
    extra,
    onnx,
    modelUris: uris,
    denoDir,
    onnxLibraries: source === undefined ? [] : await onnxLibraryFolders(denoDir, onnxVersion),
  });
  if (settings.debug) {
    const how = source === undefined ? "with its compiled permissions" : plan.permissions.join(" ");
    console.log(`Serving in a child process ${how}`);
  }
  return await runScoped(plan, {
    ...(source === undefined ? {} : { source }),
    args: ["start", ...args],
    httpPort: settings.http_port,
  });
}

/**
 * A server never needs to write files or run programs: whatever process
 * serves (a compiled executable's own child above all, whose permissions are
 * fixed at compile time) gives them up before any model code loads.
 */
function dropPermissions(): void {
  for (const name of ["write", "run"] as const) {
    try {
      Deno.permissions.revokeSync({ name });
    } catch {
      // Not held in the first place.
    }
  }
}
