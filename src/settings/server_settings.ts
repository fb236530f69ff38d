/**
 * Server settings: the keys of MLServer's `settings.json`, plus our limits
 * (`max_request_size`, `inference_timeout`, `shutdown_timeout`).
 *
 * @module
 */

import { z } from "zod";
import { VERSION } from "../version.ts";

const port = z.number().int().min(0).max(65535);
const MIB = 1024 * 1024;

/** CORS settings, as MLServer names them. */
export const CorsSettingsSchema = z.object({
  allow_origins: z.array(z.string()).default([]),
  allow_origin_regex: z.string().nullable().default(null),
  allow_credentials: z.boolean().default(false),
  allow_methods: z.array(z.string()).default(["GET"]),
  allow_headers: z.array(z.string()).default([]),
  expose_headers: z.array(z.string()).default([]),
  max_age: z.number().int().nonnegative().default(600),
});

/** `settings.json`, with every default. */
export const ServerSettingsSchema = z.object({
  debug: z.boolean().default(false),
  parallel_workers: z.number().int().nonnegative().default(0),
  parallel_workers_timeout: z.number().nonnegative().default(5),
  model_repository_root: z.string().default("."),
  load_models_at_startup: z.boolean().default(true),
  server_name: z.string().default("mlserver"),
  server_version: z.string().default(VERSION),
  extensions: z.array(z.string()).default([]),
  host: z.string().min(1).default("0.0.0.0"),
  http_port: port.default(8080),
  grpc_port: port.default(8081),
  /** Bytes, each way; -1 means unlimited. */
  grpc_max_message_length: z.number().int().min(-1).default(64 * MIB),
  root_path: z.string().default(""),
  cors_settings: CorsSettingsSchema.nullable().default(null),
  /** Path of the Prometheus endpoint; null turns metrics off. */
  metrics_endpoint: z.string().nullable().default("/metrics"),
  metrics_port: port.default(8082),
  metrics_rest_server_prefix: z.string().default("rest_server"),
  use_structured_logging: z.boolean().default(false),
  logging_settings: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable().default(
    null,
  ),
  tracing_server: z.string().nullable().default(null),
  gzip_enabled: z.boolean().default(true),
  cache_enabled: z.boolean().default(false),
  cache_size: z.number().int().nonnegative().default(100),
  /** Largest request body (after decompression) or gRPC message, in bytes. */
  max_request_size: z.number().int().positive().default(256 * MIB),
  /** Seconds an inference may take before a 504; null waits forever. */
  inference_timeout: z.number().positive().nullable().default(null),
  /** Seconds to finish in-flight requests on SIGTERM or unload. */
  shutdown_timeout: z.number().nonnegative().default(30),
});

/** Server settings as written in `settings.json` (everything optional). */
export type ServerSettingsInput = z.input<typeof ServerSettingsSchema>;
/** Server settings with every default applied. */
export type ServerSettings = Readonly<z.output<typeof ServerSettingsSchema>>;
/** CORS settings with every default applied. */
export type CorsSettings = Readonly<z.output<typeof CorsSettingsSchema>>;
