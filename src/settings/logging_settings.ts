/**
 * `logging_settings`, MLServer's logging configuration: the path of a JSON
 * file or an inline object in Python's `logging.config.dictConfig` shape.
 * What we apply of it: `loggers.<name>.level` (per logger and its
 * children: `mlserver`, `mlserver.rest`, `mlserver.grpc`, `mlserver.access`,
 * ...) and the text-or-JSON choice, JSON when a formatter's class is a JSON
 * formatter (`pythonjsonlogger.jsonlogger.JsonFormatter`) or the object
 * says `"structured": true`. Handlers and formats are Python's business and
 * are ignored, as are other file formats (MLServer's `fileConfig` files).
 *
 * @module
 */

import { resolve } from "node:path";
import { InvalidSettingsError } from "../errors.ts";
import type { LoggerOptions, LogLevel } from "../logging.ts";
import { isPlainObject } from "./load.ts";
import type { ServerSettings } from "./server_settings.ts";

const LEVELS: Readonly<Record<string, LogLevel>> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warning",
  WARN: "warning",
  ERROR: "error",
  CRITICAL: "error",
  FATAL: "error",
};

function levelOf(value: unknown, where: string): LogLevel | undefined {
  if (value === undefined || value === "NOTSET" || value === 0) return undefined;
  if (typeof value === "number") {
    return value <= 10 ? "debug" : value <= 20 ? "info" : value <= 30 ? "warning" : "error";
  }
  const level = typeof value === "string" ? LEVELS[value.toUpperCase()] : undefined;
  if (level === undefined) {
    throw new InvalidSettingsError(
      `logging_settings: ${where}: unknown level ${JSON.stringify(value)} ` +
        `(use DEBUG, INFO, WARNING, ERROR or CRITICAL)`,
    );
  }
  return level;
}

/**
 * Logger options from the server settings and, when given, the logging
 * configuration object (already read from its file).
 *
 * @throws {InvalidSettingsError} naming the bad entry
 */
export function loggerOptionsFrom(
  settings: Pick<ServerSettings, "debug" | "use_structured_logging">,
  config: unknown,
): LoggerOptions {
  const options: LoggerOptions = {
    level: settings.debug ? "debug" : "info",
    structured: settings.use_structured_logging,
  };
  if (config === undefined || config === null) return options;
  if (!isPlainObject(config)) throw new InvalidSettingsError("logging_settings: must be an object");
  const levels: Record<string, LogLevel> = {};
  const loggers = config.loggers ?? {};
  if (!isPlainObject(loggers)) {
    throw new InvalidSettingsError("logging_settings: loggers: must be an object");
  }
  for (const [name, logger] of Object.entries(loggers)) {
    if (!isPlainObject(logger)) {
      throw new InvalidSettingsError(`logging_settings: loggers.${name}: must be an object`);
    }
    const level = levelOf(logger.level, `loggers.${name}.level`);
    if (level === undefined) continue;
    // uvicorn's access logger is where MLServer's access lines come from.
    levels[name === "uvicorn.access" ? "mlserver.access" : name] = level;
  }
  options.levels = levels;
  const formatters = isPlainObject(config.formatters) ? Object.values(config.formatters) : [];
  const jsonFormatter = formatters.some((f) =>
    isPlainObject(f) && /json/i.test(String(f["()"] ?? f.class ?? ""))
  );
  if (config.structured === true || jsonFormatter) options.structured = true;
  if (config.structured === false) options.structured = false;
  return options;
}

/**
 * Logger options from the server settings, reading `logging_settings` from
 * its file when it is a path (relative to `cwd`).
 *
 * @throws {InvalidSettingsError} when the file cannot be read or parsed
 */
export async function loggerOptions(
  settings: Pick<ServerSettings, "debug" | "use_structured_logging" | "logging_settings">,
  cwd: string,
): Promise<LoggerOptions> {
  const value = settings.logging_settings;
  if (typeof value !== "string") return loggerOptionsFrom(settings, value);
  const path = resolve(cwd, value);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new InvalidSettingsError(
      `logging_settings: cannot read '${path}': ${(err as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidSettingsError(
      `logging_settings: '${path}' is not JSON (only JSON dictConfig files are supported): ` +
        (err as Error).message,
    );
  }
  return loggerOptionsFrom(settings, parsed);
}
