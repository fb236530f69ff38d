/**
 * Tracing through the OpenTelemetry SDK from npm: spans go to the OTLP/gRPC
 * endpoint `tracing_server` names (MLServer's meaning: `otel-collector:4317`)
 * through a batch span processor, with `service.name = server_name` and
 * `service.version = server_version` as MLServer sets them. Contexts pass
 * explicitly from span to span (no global context manager: that would cost
 * an `AsyncLocalStorage` scope per request), and the caller's W3C
 * `traceparent` is read with the SDK's propagator. `server.ts` imports this
 * module only when tracing is on, so a server without it never loads the SDK.
 *
 * @module
 */

import {
  type Context,
  context as contexts,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer as ApiTracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { SpanAttributes, Tracer, TraceSpan } from "../metrics/recorder.ts";

/** How to build the tracer. */
export interface OtelTracerOptions {
  /** `tracing_server`: `host:port`, or a URL (`http://host:port`). */
  endpoint: string;
  serviceName: string;
  serviceVersion: string;
  /** Longest wait between two exports; default 5 s (the SDK's). */
  exportDelayMs?: number;
}

const propagator = new W3CTraceContextPropagator();

const carrierGetter = {
  get: (carrier: Record<string, string | undefined>, key: string) => carrier[key],
  keys: (carrier: Record<string, string | undefined>) => Object.keys(carrier),
};

class OtelSpan implements TraceSpan {
  readonly span: Span;
  readonly #parent: Context;
  #context: Context | undefined;

  constructor(span: Span, parent: Context) {
    this.span = span;
    this.#parent = parent;
  }

  /** The context children are made in: built only for a span that gets one (a model span does not). */
  get context(): Context {
    return this.#context ??= trace.setSpan(this.#parent, this.span);
  }

  set(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
  }

  rename(name: string): void {
    this.span.updateName(name);
  }

  fail(message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  end(): void {
    this.span.end();
  }
}

/** A `Tracer` over the OpenTelemetry SDK, exporting over OTLP/gRPC. */
export class OtelTracer implements Tracer {
  readonly #provider: TracerProvider;
  readonly #tracer: ApiTracer;

  constructor(options: OtelTracerOptions) {
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(options.endpoint)
      ? options.endpoint
      : `http://${options.endpoint}`;
    const exporter = new OTLPTraceExporter({ url });
    this.#provider = new TracerProvider({
      resource: resourceFromAttributes({
        "service.name": options.serviceName,
        "service.version": options.serviceVersion,
      }),
      spanProcessors: [
        new BatchSpanProcessor({ exporter, scheduledDelayMillis: options.exportDelayMs ?? 5000 }),
      ],
    });
    this.#tracer = this.#provider.getTracer("mlserver", options.serviceVersion);
  }

  server(
    name: string,
    carrier: { traceparent?: string | undefined; tracestate?: string | undefined },
    attributes: SpanAttributes,
  ): TraceSpan {
    const parent = carrier.traceparent === undefined
      ? ROOT_CONTEXT
      : propagator.extract(ROOT_CONTEXT, carrier, carrierGetter);
    const span = this.#tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    return new OtelSpan(span, parent);
  }

  child(parent: TraceSpan | undefined, name: string, attributes: SpanAttributes): TraceSpan {
    const context = parent instanceof OtelSpan ? parent.context : contexts.active();
    const span = this.#tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, context);
    return new OtelSpan(span, context);
  }

  /** Exports what is buffered now. */
  flush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }
}
