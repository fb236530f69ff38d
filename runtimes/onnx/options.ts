/**
 * `parameters.extra` of an ONNX model, with the keys and meanings of the Red
 * Hat MLServer fork's `mlserver_onnx` (`providers`, `provider_options`,
 * `session_options`, `session_config_entries`, `run_options`), turned into
 * onnxruntime-node's session and run options. Python's snake_case names are
 * translated to onnxruntime-node's; a key either runtime lacks is refused at
 * load with the fork's message, so a typo never passes silently.
 *
 * Threads: unless the settings say otherwise, a session gets half the cores
 * for intra-op work (at least one) and one inter-op thread, and its pool
 * threads sleep instead of spinning while idle: the server shares its cores
 * with the HTTP and gRPC loops, which onnxruntime's default (every core,
 * spin-waiting) would starve. onnxruntime logs errors only, unless
 * `session_options.log_severity_level` says otherwise.
 *
 * @module
 */

import type { InferenceSession } from "onnxruntime-node";

/** What the settings give, after validation. */
export interface OnnxOptions {
  session: InferenceSession.SessionOptions;
  run: InferenceSession.RunOptions;
}

/** Execution providers by the Python names the fork takes, and onnxruntime-node's own. */
const PROVIDERS: Readonly<Record<string, string>> = {
  CPUExecutionProvider: "cpu",
  CUDAExecutionProvider: "cuda",
  TensorrtExecutionProvider: "tensorrt",
  DmlExecutionProvider: "dml",
  CoreMLExecutionProvider: "coreml",
  WebGpuExecutionProvider: "webgpu",
  QNNExecutionProvider: "qnn",
  XnnpackExecutionProvider: "xnnpack",
  NnapiExecutionProvider: "nnapi",
};

type Converter = (value: unknown, key: string) => unknown;

const integer: Converter = (value, key) => {
  if (!Number.isSafeInteger(value)) throw new Error(`OnnxModel ${key} must be an integer`);
  return value;
};
const boolean: Converter = (value, key) => {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  throw new Error(`OnnxModel ${key} must be a boolean`);
};
const string: Converter = (value, key) => {
  if (typeof value !== "string") throw new Error(`OnnxModel ${key} must be a string`);
  return value;
};
const severity: Converter = (value, key) => {
  if (value !== 0 && value !== 1 && value !== 2 && value !== 3 && value !== 4) {
    throw new Error(`OnnxModel ${key} must be 0, 1, 2, 3 or 4`);
  }
  return value;
};
/** Python's GraphOptimizationLevel values (0, 1, 2, 99, or their names). */
const LEVELS: Readonly<Record<string, string>> = {
  "0": "disabled",
  "1": "basic",
  "2": "extended",
  "99": "all",
  ORT_DISABLE_ALL: "disabled",
  ORT_ENABLE_BASIC: "basic",
  ORT_ENABLE_EXTENDED: "extended",
  ORT_ENABLE_ALL: "all",
  disabled: "disabled",
  basic: "basic",
  extended: "extended",
  all: "all",
};
const level: Converter = (value, key) => {
  const named = LEVELS[String(value)];
  if (named === undefined) throw new Error(`OnnxModel ${key} must be 0, 1, 2 or 99`);
  return named;
};
const mode: Converter = (value, key) => {
  if (value === 0 || value === "ORT_SEQUENTIAL" || value === "sequential") return "sequential";
  if (value === 1 || value === "ORT_PARALLEL" || value === "parallel") return "parallel";
  throw new Error(`OnnxModel ${key} must be 0 (sequential) or 1 (parallel)`);
};

/** `session_options`: Python SessionOptions attribute -> [onnxruntime-node option, check]. */
const SESSION_OPTIONS: Readonly<Record<string, [string, Converter]>> = {
  intra_op_num_threads: ["intraOpNumThreads", integer],
  inter_op_num_threads: ["interOpNumThreads", integer],
  graph_optimization_level: ["graphOptimizationLevel", level],
  execution_mode: ["executionMode", mode],
  enable_cpu_mem_arena: ["enableCpuMemArena", boolean],
  enable_mem_pattern: ["enableMemPattern", boolean],
  enable_profiling: ["enableProfiling", boolean],
  profile_file_prefix: ["profileFilePrefix", string],
  optimized_model_filepath: ["optimizedModelFilePath", string],
  logid: ["logId", string],
  log_severity_level: ["logSeverityLevel", severity],
  log_verbosity_level: ["logVerbosityLevel", integer],
};

/** `run_options`: Python RunOptions attribute -> [onnxruntime-node option, check]. */
const RUN_OPTIONS: Readonly<Record<string, [string, Converter]>> = {
  log_severity_level: ["logSeverityLevel", severity],
  log_verbosity_level: ["logVerbosityLevel", integer],
  logid: ["tag", string],
  terminate: ["terminate", boolean],
};

/**
 * The session and run options for `extra`.
 *
 * @param cores cores the machine has (`navigator.hardwareConcurrency`)
 * @throws {Error} naming the key when a value is invalid or unsupported
 */
export function onnxOptions(extra: Readonly<Record<string, unknown>>, cores: number): OnnxOptions {
  const providers = providerNames(extra.providers);
  const session: Record<string, unknown> = {
    executionProviders: withOptions(providers, extra.provider_options),
    intraOpNumThreads: Math.max(1, Math.floor(cores / 2)),
    interOpNumThreads: 1,
    // Errors only: onnxruntime's warnings (legacy opsets, optimizer notes) go
    // to stderr unstructured, outside the server's log.
    logSeverityLevel: 3,
  };
  Object.assign(session, translate(extra.session_options, SESSION_OPTIONS, "session option"));
  session.extra = {
    "session.intra_op.allow_spinning": "0",
    "session.inter_op.allow_spinning": "0",
    ...configEntries(extra.session_config_entries),
  };
  const run = translate(extra.run_options, RUN_OPTIONS, "run option");
  return { session, run } as OnnxOptions;
}

function providerNames(value: unknown): string[] {
  if (value === undefined || value === null) return ["cpu"];
  if (!Array.isArray(value) || value.length === 0 || !value.every((p) => typeof p === "string")) {
    throw new Error("OnnxModel providers must be a non-empty list of strings");
  }
  return value.map((name: string) => PROVIDERS[name] ?? name);
}

function withOptions(providers: string[], value: unknown): unknown[] {
  if (value === undefined || value === null) return providers;
  const list = Array.isArray(value) ? value : [value];
  if (!Array.isArray(value) && providers.length !== 1) {
    throw new Error("OnnxModel provider_options dict requires a single provider");
  }
  if (list.length === 0 || !list.every(isRecord)) {
    throw new Error("OnnxModel provider_options must be a dict or list of dicts");
  }
  if (list.length !== providers.length) {
    throw new Error("OnnxModel provider_options must match providers length");
  }
  // onnxruntime-node reads camelCase keys (device_id -> deviceId).
  return providers.map((name, i) => ({ ...camelCase(list[i] as Record<string, unknown>), name }));
}

function translate(
  value: unknown,
  table: Readonly<Record<string, [string, Converter]>>,
  what: string,
): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new Error(`OnnxModel ${what}s must be a dict`);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const entry = table[key];
    if (entry === undefined) throw new Error(`OnnxModel ${what} '${key}' is not supported`);
    out[entry[0]] = entry[1](raw, `${what} '${key}'`);
  }
  return out;
}

function configEntries(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    throw new Error("OnnxModel session_config_entries must be a dict of string keys");
  }
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]));
}

function camelCase(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).map((
      [key, v],
    ) => [key.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
