/**
 * The options of `mlserver infer`: MLServer's flags and short forms, each
 * also read from its `MLSERVER_INFER_*` variable (flags win), with
 * MLServer's defaults and spellings: `--url host:port`, `-H 'Name: Value'`
 * (the variable: `'Name1:Value1 Name2:Value2'`), `--timeout` in seconds from
 * `MLSERVER_INFER_CONNECTION_TIMEOUT`, booleans as click reads them.
 *
 * @module
 */

import { parseCommandArgs, UsageError } from "./args.ts";

/** Resolved options of one run. */
export interface InferOptions {
  url: string;
  modelName: string;
  inputPath: string;
  /** A file, or `-` for standard output. */
  outputPath: string;
  workers: number;
  /** Attempts per request, MLServer's count (3: the first and two retries). */
  retries: number;
  batchSize: number;
  binaryData: boolean;
  transport: "rest" | "grpc";
  headers: Record<string, string>;
  /** Seconds each attempt may take. */
  timeout: number;
  /** Seconds each worker waits at least between its requests, plus up to `batchJitter`. */
  batchInterval: number;
  batchJitter: number;
  /** Seconds before the first retry (doubled for each next one). */
  retryDelay: number;
  useSsl: boolean;
  insecure: boolean;
  caFile: string | undefined;
  /** 0 quiet, 1 verbose (-v), 2 extra verbose (-vv: every request and response). */
  verbosity: number;
}

const FLAGS = {
  url: { type: "string", short: "u" },
  "model-name": { type: "string", short: "m" },
  "input-data-path": { type: "string", short: "i" },
  "output-data-path": { type: "string", short: "o" },
  workers: { type: "string", short: "w" },
  retries: { type: "string", short: "r" },
  "batch-size": { type: "string", short: "s" },
  "binary-data": { type: "boolean", short: "b" },
  transport: { type: "string", short: "t" },
  "request-headers": { type: "string", short: "H", multiple: true },
  timeout: { type: "string" },
  "batch-interval": { type: "string" },
  "batch-jitter": { type: "string" },
  "retry-delay": { type: "string" },
  "use-ssl": { type: "boolean" },
  insecure: { type: "boolean" },
  "ca-file": { type: "string" },
  verbose: { type: "boolean", short: "v", multiple: true },
  "extra-verbose": { type: "boolean" },
} as const;

/** Help text of `infer`. */
export const INFER_HELP = `Usage: mlserver infer -m MODEL -i INPUT -o OUTPUT [options]

Send every V2 inference request of INPUT (one JSON request per line) to a
server and write the answers to OUTPUT (- for standard output), one line each,
in input order. Failed requests are written as error lines and make the exit
code 1. Each option can also be set with its MLSERVER_INFER_* variable.

Options:
  -u, --url HOST:PORT          Server address (default localhost:8080, or
                               localhost:8081 with -t grpc)      [URL]
  -m, --model-name NAME        Model to call (required)          [MODEL_NAME]
  -i, --input-data-path PATH   Requests, one per line (required) [INPUT_DATA_PATH]
  -o, --output-data-path PATH  Where answers go (required)       [OUTPUT_DATA_PATH]
  -w, --workers N              Requests in flight (default 10)   [WORKERS]
  -r, --retries N              Attempts per request (default 3)  [RETRIES]
  -s, --batch-size N           Requests merged into one (default 1) [BATCH_SIZE]
  -b, --binary-data            Tensors as bytes: REST binary extension,
                               gRPC raw contents                 [BINARY_DATA]
  -t, --transport rest|grpc    Default rest                      [TRANSPORT]
  -H, --request-headers 'N: V' A header for every request (repeatable;
                               the variable: 'N1:V1 N2:V2')      [REQUEST_HEADERS]
      --timeout SECONDS        Per attempt (default 60)          [CONNECTION_TIMEOUT]
      --batch-interval SECONDS Least time between a worker's requests [BATCH_INTERVAL]
      --batch-jitter SECONDS   Random extra wait, at most this   [BATCH_JITTER]
      --retry-delay SECONDS    Wait before the first retry, doubled after
                               (default 1)                       [RETRY_DELAY]
      --use-ssl                https / TLS                       [USE_SSL]
      --insecure               Accept any certificate (gRPC only) [INSECURE]
      --ca-file PATH           PEM file of the server's CA       [CA_FILE]
  -v, --verbose                Settings, retries and failures; -vv also every
                               request and answer                [VERBOSE, EXTRA_VERBOSE]
  -h, --help                   Show this help
`;

const TRUE = new Set(["1", "true", "t", "yes", "y", "on"]);
const FALSE = new Set(["0", "false", "f", "no", "n", "off", ""]);

/**
 * Reads the options from the arguments and the environment.
 *
 * @throws {UsageError} naming the flag (or variable) and the problem
 */
export function parseInferOptions(
  args: string[],
  env: Readonly<Record<string, string>>,
): InferOptions {
  const { values, positionals } = parseCommandArgs(args, FLAGS);
  if (positionals.length > 0) {
    throw new UsageError(`infer takes no arguments, got '${positionals[0]}'`);
  }
  const fromEnv = (name: string): string | undefined => {
    const value = env[`MLSERVER_INFER_${name}`];
    return value === undefined || value === "" ? undefined : value;
  };
  const text = (flag: keyof typeof values, name: string): string | undefined =>
    (values[flag] as string | undefined) ?? fromEnv(name);
  const flagOrEnv = (flag: keyof typeof values, name: string): boolean => {
    if (values[flag] === true) return true;
    const value = env[`MLSERVER_INFER_${name}`];
    if (value === undefined) return false;
    if (TRUE.has(value.toLowerCase())) return true;
    if (FALSE.has(value.toLowerCase())) return false;
    throw new UsageError(`MLSERVER_INFER_${name} must be a boolean, got '${value}'`);
  };
  const number = (flag: keyof typeof values, name: string, fallback: number, integer: boolean) => {
    const raw = text(flag, name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (
      raw.trim() === "" || !Number.isFinite(value) || value < 0 ||
      (integer && !Number.isInteger(value))
    ) {
      const kind = integer ? "a whole number" : "a number";
      throw new UsageError(`--${String(flag)} must be ${kind} of at least 0, got '${raw}'`);
    }
    return value;
  };
  const required = (flag: keyof typeof values, name: string): string => {
    const value = text(flag, name);
    if (value === undefined) {
      throw new UsageError(`infer needs --${String(flag)} (or MLSERVER_INFER_${name})`);
    }
    return value;
  };
  const transport = text("transport", "TRANSPORT") ?? "rest";
  if (transport !== "rest" && transport !== "grpc") {
    throw new UsageError(`--transport must be rest or grpc, got '${transport}'`);
  }
  const verbose = (values.verbose as boolean[] | undefined)?.length ?? 0;
  const verbosity = values["extra-verbose"] === true || flagOrEnv("extra-verbose", "EXTRA_VERBOSE")
    ? 2
    : Math.min(2, verbose > 0 ? verbose : flagOrEnv("verbose", "VERBOSE") ? 1 : 0);
  const headerItems = (values["request-headers"] as string[] | undefined) ??
    fromEnv("REQUEST_HEADERS")?.split(/\s+/).filter((item) => item !== "") ?? [];
  const options: InferOptions = {
    url: text("url", "URL") ?? (transport === "grpc" ? "localhost:8081" : "localhost:8080"),
    modelName: required("model-name", "MODEL_NAME"),
    inputPath: required("input-data-path", "INPUT_DATA_PATH"),
    outputPath: required("output-data-path", "OUTPUT_DATA_PATH"),
    workers: Math.max(1, number("workers", "WORKERS", 10, true)),
    retries: Math.max(1, number("retries", "RETRIES", 3, true)),
    batchSize: Math.max(1, number("batch-size", "BATCH_SIZE", 1, true)),
    binaryData: flagOrEnv("binary-data", "BINARY_DATA"),
    transport,
    headers: parseHeaders(headerItems),
    timeout: number("timeout", "CONNECTION_TIMEOUT", 60, false),
    batchInterval: number("batch-interval", "BATCH_INTERVAL", 0, false),
    batchJitter: number("batch-jitter", "BATCH_JITTER", 0, false),
    retryDelay: number("retry-delay", "RETRY_DELAY", 1, false),
    useSsl: flagOrEnv("use-ssl", "USE_SSL"),
    insecure: flagOrEnv("insecure", "INSECURE"),
    caFile: text("ca-file", "CA_FILE"),
    verbosity,
  };
  if (options.insecure && options.transport === "rest") {
    throw new UsageError(
      "--insecure works with --transport grpc only: Deno's fetch checks every certificate " +
        "(give the server's CA with --ca-file)",
    );
  }
  return options;
}

/**
 * Headers in MLServer's form, `Name: Value` (split at the first colon, both
 * sides trimmed).
 *
 * @throws {UsageError} for an item without a colon or a name
 */
export function parseHeaders(items: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of items) {
    const colon = item.indexOf(":");
    const name = colon < 0 ? "" : item.slice(0, colon).trim();
    if (name === "") {
      throw new UsageError(`Cannot read request header '${item}': expected 'Name: Value'`);
    }
    headers[name.toLowerCase()] = item.slice(colon + 1).trim();
  }
  return headers;
}
