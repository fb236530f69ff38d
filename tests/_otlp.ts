/**
 * A real OTLP/gRPC trace receiver for tests: a grpc-js server on
 * 127.0.0.1 implementing `opentelemetry.proto.collector.trace.v1.TraceService`,
 * keeping every span it is sent.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { fixture } from "./_helpers.ts";

/** A received span, ids as hex. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's span kind: 2 server, 1 internal. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message: string };
  resource: Record<string, string | number | boolean>;
}

/** A listening receiver. */
export interface OtlpReceiver extends AsyncDisposable {
  port: number;
  spans: ReceivedSpan[];
}

// deno-lint-ignore no-explicit-any
type Any = any;

const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString("hex");

function attributesOf(list: Any[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const v = value?.string_value ?? value?.bool_value ?? value?.int_value ?? value?.double_value;
    out[key] = typeof v === "string" && value?.int_value !== undefined ? Number(v) : v;
  }
  return out;
}

/** Starts a receiver on 127.0.0.1 port 0. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const definition = loadSync(fixture("otlp", "trace_service.proto"), {
    keepCase: true,
    longs: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as Any;
  const spans: ReceivedSpan[] = [];
  const server = new grpc.Server();
  server.addService(pkg.opentelemetry.proto.collector.trace.v1.TraceService.service, {
    Export: (call: Any, callback: Any) => {
      for (const resourceSpans of call.request.resource_spans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scope_spans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              traceId: hex(span.trace_id),
              spanId: hex(span.span_id),
              parentSpanId: hex(span.parent_span_id),
              name: span.name,
              kind: span.kind ?? 0,
              attributes: attributesOf(span.attributes),
              status: { code: span.status?.code ?? 0, message: span.status?.message ?? "" },
              resource,
            });
          }
        }
      }
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (err, bound) => (err === null ? resolve(bound) : reject(err)),
    )
  );
  return {
    port,
    spans,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
