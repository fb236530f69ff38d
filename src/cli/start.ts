/**
 * `mlserver start [FOLDER]`: loads settings, starts the server and runs until
 * SIGTERM or SIGINT, then stops gracefully (a second signal exits at once).
 *
 * @module
 */

import { createLogger, type Logger, type LogLevel } from "../logging.ts";
import { ModelServer } from "../server.ts";
import { loadServerSettings, readModelSources } from "../settings/load.ts";
import { loggerOptions } from "../settings/logging_settings.ts";
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

/** Runs `start`; resolves with the exit code once the server has stopped. */
export async function startCommand(
  args: string[],
  env: Readonly<Record<string, string>>,
): Promise<number> {
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
  const logger = createLogger(await loggerOptions(settings, Deno.cwd()));
  replay(early, logger);
  if (missing) {
    // ModelMesh's adapter may create the folder after the server starts: serve anyway.
    logger.warning(`Models folder '${folder}' does not exist yet: serving no models until it does`);
  }
  const server = new ModelServer({ settings, models: readModelSources(env), logger });
  const stopped = Promise.withResolvers<void>();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals > 1) {
      logger.warning("Second signal: exiting now");
      Deno.exit(1);
    }
    server.stop().then(stopped.resolve, stopped.reject);
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
