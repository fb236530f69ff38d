/**
 * Server settings: the keys of MLServer's `settings.json`, plus our limits
 * (`max_request_size`, `inference_timeout`, `shutdown_timeout`).
 *
 * @module
 */

import { z } from "zod";
import { VERSION } from "../version.ts";
import { lax } from "./lax.ts";

const port = lax(z.number().int().min(0).max(65535));
const bool = () => lax(z.boolean());
const text = () => lax(z.string());
const MIB = 1024 * 1024;

/** CORS settings, as MLServer names them. */
export const CorsSettingsSchema = z.object({
  allow_origins: z.array(text()).default([]),
  allow_origin_regex: text().nullable().default(null),
  allow_credentials: bool().default(false),
  allow_methods: z.array(text()).default(["GET"]),
  allow_headers: z.array(text()).default([]),
  expose_headers: z.array(text()).default([]),
  max_age: lax(z.number().int().nonnegative()).default(600),
});

/** `settings.json`, with every default. */
export const ServerSettingsSchema = z.object({
  debug: bool().default(false),
  parallel_workers: lax(z.number().int().nonnegative()).default(0),
  parallel_workers_timeout: lax(z.number().nonnegative()).default(5),
  model_repository_root: text().default("."),
  load_models_at_startup: bool().default(true),
  server_name: text().default("mlserver"),
  server_version: text().default(VERSION),
  extensions: z.array(text()).default([]),
  host: lax(z.string().min(1)).default("0.0.0.0"),
  http_port: port.default(8080),
  grpc_port: port.default(8081),
  /** Bytes, each way; -1 means unlimited. */
  grpc_max_message_length: lax(z.number().int().min(-1)).default(64 * MIB),
  root_path: text().default(""),
  cors_settings: CorsSettingsSchema.nullable().default(null),
  /** Path of the Prometheus endpoint; null turns metrics off. */
  metrics_endpoint: text().nullable().default("/metrics"),
  metrics_port: port.default(8082),
  metrics_rest_server_prefix: text().default("rest_server"),
  use_structured_logging: bool().default(false),
  logging_settings: z.union([text(), z.record(z.string(), z.unknown())]).nullable().default(
    null,
  ),
  tracing_server: text().nullable().default(null),
  gzip_enabled: bool().default(true),
  cache_enabled: bool().default(false),
  cache_size: lax(z.number().int().nonnegative()).default(100),
  /** Largest request body (after decompression) or gRPC message, in bytes. */
  max_request_size: lax(z.number().int().positive()).default(256 * MIB),
  /** Seconds an inference may take before a 504; null waits forever. */
  inference_timeout: lax(z.number().positive()).nullable().default(null),
  /** Seconds to finish in-flight requests on SIGTERM or unload. */
  shutdown_timeout: lax(z.number().nonnegative()).default(30),
  /** Seconds a client has to send a whole request head before its connection is closed. */
  http_header_timeout: lax(z.number().positive()).default(10),
  /** Seconds a connection with no request running stays open (HTTP keep-alive, gRPC sessions). */
  idle_timeout: lax(z.number().positive()).default(75),
  /** Open HTTP connections at most; null: the open-file limit less a reserve. */
  max_connections: lax(z.number().int().positive()).nullable().default(null),
});

/** Server settings as written in `settings.json` (everything optional). */
export type ServerSettingsInput = z.input<typeof ServerSettingsSchema>;
/** Server settings with every default applied. */
export type ServerSettings = Readonly<z.output<typeof ServerSettingsSchema>>;
/** CORS settings with every default applied. */
export type CorsSettings = Readonly<z.output<typeof CorsSettingsSchema>>;
