/**
 * Server-sent events for the streaming endpoints: one `data:` event per
 * response. An error before the first event is an ordinary JSON error (the
 * caller awaits the first response before committing to a stream); an error
 * mid-stream ends the stream with an `error` event whose body and logging
 * come from the same mapper as every other REST error.
 *
 * @module
 */

import { toErrorBody } from "../errors.ts";
import type { Logger } from "../logging.ts";
import { encodeJsonResponse } from "../protocol/json_response.ts";
import type { InferenceResponse } from "../protocol/types.ts";
import { takeResponseHeaders } from "./inference.ts";
import { logFailure, type ResponseOptions } from "./responses.ts";

const encoder = new TextEncoder();

function event(text: string, name?: string): Uint8Array {
  return encoder.encode(`${name === undefined ? "" : `event: ${name}\n`}data: ${text}\n\n`);
}

/**
 * Streams `responses` as SSE. Awaits the first response first, so that a
 * failure before anything was sent rejects (and becomes a JSON error).
 *
 * @param label names the stream in the log (`POST /v2/models/m/infer_stream`)
 */
export async function sseResponse(
  responses: AsyncGenerator<InferenceResponse>,
  options: ResponseOptions,
  log: Logger,
  label: string,
): Promise<Response> {
  let pending: IteratorResult<InferenceResponse> | undefined = await responses.next();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = pending ?? await responses.next();
        pending = undefined;
        if (next.done) return controller.close();
        takeResponseHeaders(next.value, undefined);
        controller.enqueue(event(encodeJsonResponse(next.value)));
      } catch (err) {
        logFailure(log, `${label} mid-stream`, err);
        controller.enqueue(event(JSON.stringify(toErrorBody(err)), "error"));
        controller.close();
      }
    },
    async cancel() {
      await responses.return(undefined);
    },
  });
  const headers = new Headers(options.headers);
  headers.set("content-type", "text/event-stream");
  headers.set("cache-control", "no-cache");
  return new Response(stream, { status: 200, headers });
}
