/**
 * A `Tracer` whose implementation arrives later: the server builds the data
 * plane and the transports at construction, but imports the OpenTelemetry
 * SDK only in `start()` and only when tracing is on.
 *
 * @module
 */

import type { SpanAttributes, Tracer, TraceSpan } from "../metrics/recorder.ts";

/** Forwards to the tracer given to `use()`; no call may come before it. */
export class DeferredTracer implements Tracer {
  #tracer: Tracer | undefined;

  /** Sets the tracer every call goes to. */
  use(tracer: Tracer): void {
    this.#tracer = tracer;
  }

  #target(): Tracer {
    if (this.#tracer === undefined) throw new Error("Tracer used before the server started");
    return this.#tracer;
  }

  server(
    name: string,
    carrier: { traceparent?: string | undefined; tracestate?: string | undefined },
    attributes: SpanAttributes,
  ): TraceSpan {
    return this.#target().server(name, carrier, attributes);
  }

  child(parent: TraceSpan | undefined, name: string, attributes: SpanAttributes): TraceSpan {
    return this.#target().child(parent, name, attributes);
  }

  async shutdown(): Promise<void> {
    await this.#tracer?.shutdown();
  }
}
