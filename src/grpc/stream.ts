/**
 * ModelStreamInfer: reading a client stream with flow control, and running
 * it through the data plane's streaming inference.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import type { DataPlaneApi } from "../dataplane/dataplane.ts";
import type { Logger } from "../logging.ts";
import type { InferenceRequest } from "../protocol/types.ts";
import {
  asBuffer,
  callContext,
  type CallObserver,
  observeCall,
  statusFor,
  trailerOf,
} from "./call.ts";
import { decodeModelInferRequest, encodeModelInferResponse } from "./messages.ts";

/** A stream of messages with events and flow control: a server call, or a client's stream. */
export interface MessageSource {
  // deno-lint-ignore no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** Messages read ahead of the model before the call stops reading (HTTP/2 flow control then holds the client). */
const READ_AHEAD = 8;

/**
 * The messages of a client stream, read through events. (The stream's own
 * async iterator destroys the call when the client half-closes, which
 * grpc-js reports as CANCELLED before the server has answered.) Reading
 * pauses while `READ_AHEAD` messages wait, so a client cannot outrun a slow
 * model into the server's memory.
 */
export function messages<M extends Uint8Array = Buffer>(call: MessageSource): AsyncIterator<M> {
  const queue: M[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  call.on("data", (message: M) => {
    queue.push(message);
    if (queue.length >= READ_AHEAD) call.pause();
    notify();
  });
  const finish = (): void => {
    ended = true;
    notify();
  };
  call.on("end", finish);
  call.on("cancelled", finish);
  call.on("error", (err: unknown) => {
    failure = err;
    notify();
  });
  return {
    async next(): Promise<IteratorResult<M>> {
      while (queue.length === 0 && !ended && failure === undefined) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      if (queue.length > 0) {
        const value = queue.shift()!;
        if (queue.length < READ_AHEAD / 2) call.resume();
        return { done: false, value };
      }
      if (failure !== undefined) throw failure;
      return { done: true, value: undefined };
    },
  };
}

/**
 * ModelStreamInfer: the first message fixes the model, the version and the
 * raw-or-typed answer form. Responses stream back as the model yields them;
 * an error ends the call with its status; response headers of the last
 * response go out as trailers.
 */
export function streamInfer(
  dataplane: DataPlaneApi,
  options: { log: Logger; observer?: CallObserver },
): grpc.handleBidiStreamingCall<Buffer, Buffer> {
  const { log, observer } = options;
  const RPC = "ModelStreamInfer";
  return (call) => {
    const observing = observeCall(observer, RPC, "bidi_stream", call.metadata);
    const counted = observer?.metrics?.transport === true ? observer : undefined;
    const run = async (): Promise<grpc.Metadata | undefined> => {
      const incoming = messages(call);
      const first = await incoming.next();
      if (first.done) return undefined;
      counted?.metrics?.grpcMessage(counted.service, RPC, "received");
      const head = decodeModelInferRequest(first.value);
      async function* requests(): AsyncGenerator<InferenceRequest> {
        yield head.request;
        while (true) {
          const next = await incoming.next();
          if (next.done) return;
          counted?.metrics?.grpcMessage(counted.service, RPC, "received");
          yield decodeModelInferRequest(next.value).request;
        }
      }
      const context = callContext(head.modelName, head.modelVersion, call, {
        observed: observing?.observed,
      });
      let lastHeaders: Record<string, unknown> | undefined;
      for await (const response of dataplane.inferStream(requests(), context)) {
        if (call.cancelled) break;
        lastHeaders = response.parameters?.headers;
        call.write(asBuffer(encodeModelInferResponse(response, head.raw)));
        counted?.metrics?.grpcMessage(counted.service, RPC, "sent");
      }
      if (observing !== undefined) observing.observed.requestId = head.request.id;
      return trailerOf(lastHeaders);
    };
    run().then(
      (trailer) => {
        observing?.done(call.cancelled ? grpc.status.CANCELLED : grpc.status.OK);
        if (!call.cancelled) call.end(trailer);
      },
      (err) => {
        const status = statusFor(err, RPC, log);
        observing?.done(status.code, status.details);
        if (!call.cancelled) call.emit("error", status);
      },
    );
  };
}
