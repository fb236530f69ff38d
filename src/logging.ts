/**
 * Logging in MLServer's two formats: text lines
 * (`<time> [<logger>][<model>] <LEVEL> - <message>`) or one JSON object per
 * line (`use_structured_logging`). A leaf module like `errors.ts`: anything may
 * import it, it imports nothing of ours.
 *
 * @module
 */

/**
 * Log levels, lowest first.
 *
 * @example Skip costly messages below the level
 * ```ts
 * import { createLogger, type LogLevel } from "mlserver";
 * const level: LogLevel = "warning";
 * const log = createLogger({ level, write: () => {} });
 * console.assert(!log.enabled("info") && log.enabled("error"));
 * ```
 */
export type LogLevel = "debug" | "info" | "warning" | "error";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warning: 30, error: 40 };

/** Extra context a log line may carry. */
export interface LogContext {
  /** An error whose stack is logged (only where the caller decides it helps). */
  err?: unknown;
}

/**
 * Where log lines go, and how they look.
 *
 * @example Log from a runtime with the model's name on each line
 * ```ts
 * import { createLogger, type Logger } from "mlserver";
 * const lines: string[] = [];
 * const log: Logger = createLogger({ structured: true, write: (l) => lines.push(l) }).forModel("iris");
 * log.warning("slow load");
 * console.assert(JSON.parse(lines[0]!).model_name === "iris");
 * ```
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string, context?: LogContext): void;
  /** Whether a level would be written (to skip building costly messages). */
  enabled(level: LogLevel): boolean;
  /** A logger named `<this name>.<suffix>`. */
  child(suffix: string): Logger;
  /** A logger whose lines carry the model's name and version. */
  forModel(name: string, version?: string): Logger;
}

/**
 * How to build a logger.
 *
 * @example JSON lines to a custom sink
 * ```ts
 * import { createLogger, type LoggerOptions } from "mlserver";
 * const lines: string[] = [];
 * const options: LoggerOptions = { name: "my-runtime", level: "debug", structured: true, write: (l) => lines.push(l) };
 * createLogger(options).debug("hello");
 * console.assert(JSON.parse(lines[0]!).name === "my-runtime");
 * ```
 */
export interface LoggerOptions {
  /** Logger name shown in each line; default `mlserver`. */
  name?: string;
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /**
   * Levels of named loggers and their children (`{ "mlserver.rest": "debug" }`),
   * overriding `level`; the longest matching name wins.
   */
  levels?: Readonly<Record<string, LogLevel>>;
  /** One JSON object per line instead of text. */
  structured?: boolean;
  /** Line sink; default standard output (errors included, as MLServer does). */
  write?: (line: string) => void;
  /** Clock for timestamps; tests inject one. */
  now?: () => Date;
}

interface State {
  readonly rank: number;
  readonly levels: readonly (readonly [name: string, rank: number])[];
  readonly structured: boolean;
  readonly write: (line: string) => void;
  readonly now: () => Date;
}

const encoder = new TextEncoder();

function writeStdout(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

/**
 * Creates a logger.
 *
 * @example Log in MLServer's text format to an array
 * ```ts
 * import { createLogger } from "mlserver";
 * const lines: string[] = [];
 * const log = createLogger({ write: (l) => lines.push(l), now: () => new Date(0) });
 * log.forModel("iris", "1").info("Loaded");
 * console.assert(lines[0] === "1970-01-01 00:00:00,000 [mlserver][iris:1] INFO - Loaded");
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const state: State = {
    rank: RANK[options.level ?? "info"],
    // Longest names first, so the first match is the most specific.
    levels: Object.entries(options.levels ?? {})
      .map(([name, level]) => [name, RANK[level]] as const)
      .sort(([a], [b]) => b.length - a.length),
    structured: options.structured ?? false,
    write: options.write ?? writeStdout,
    now: options.now ?? (() => new Date()),
  };
  return makeLogger(state, options.name ?? "mlserver", undefined, undefined);
}

function makeLogger(
  state: State,
  name: string,
  modelName: string | undefined,
  modelVersion: string | undefined,
): Logger {
  const rank = rankOf(state, name);
  const emit = (level: LogLevel, message: string, context?: LogContext): void => {
    if (RANK[level] < rank) return;
    const time = state.now();
    const stack = context?.err instanceof Error ? context.err.stack : undefined;
    if (state.structured) {
      const record: Record<string, string> = {
        time: time.toISOString(),
        name,
        level: level.toUpperCase(),
        message,
      };
      if (modelName !== undefined) record.model_name = modelName;
      if (modelVersion !== undefined) record.model_version = modelVersion;
      if (stack !== undefined) record.exc_info = stack;
      state.write(JSON.stringify(record));
      return;
    }
    const model = modelName === undefined
      ? ""
      : modelVersion === undefined || modelVersion === ""
      ? `[${modelName}]`
      : `[${modelName}:${modelVersion}]`;
    let line = `${formatTime(time)} [${name}]${model} ${level.toUpperCase()} - ${message}`;
    if (stack !== undefined) line += `\n${stack}`;
    state.write(line);
  };
  return {
    debug: (message) => emit("debug", message),
    info: (message) => emit("info", message),
    warning: (message) => emit("warning", message),
    error: (message, context) => emit("error", message, context),
    enabled: (level) => RANK[level] >= rank,
    child: (suffix) => makeLogger(state, `${name}.${suffix}`, modelName, modelVersion),
    forModel: (model, version) => makeLogger(state, name, model, version),
  };
}

/** The level of a logger: the most specific configured name it falls under, else the default. */
function rankOf(state: State, name: string): number {
  for (const [prefix, rank] of state.levels) {
    if (name === prefix || name.startsWith(prefix + ".")) return rank;
  }
  return state.rank;
}

/** Python logging's default time format: `2024-01-31 13:45:00,123` (UTC). */
function formatTime(time: Date): string {
  const iso = time.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = createLogger({ write: () => {}, level: "error" });
