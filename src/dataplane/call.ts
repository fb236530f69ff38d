/**
 * The call context: what a transport knows about one call (the model it
 * names, the client's signal, its headers), and the one signal a call runs
 * under, which combines the client's abort or deadline with the server's
 * `inference_timeout`. The queue, every wrapper and the model see that
 * signal; the data plane races the answer against it.
 *
 * @module
 */

import { CancelledError, DeadlineExceededError, ServerError } from "../errors.ts";
import type { TraceSpan } from "../metrics/recorder.ts";

/** What a transport hands the data plane with each call. */
export interface CallContext {
  /** The model name as the client sent it (echoed in the answer). */
  readonly name: string;
  /** The version the client asked for, if any. */
  readonly version?: string | undefined;
  /** Aborted when the client disconnects, cancels or runs past its own deadline. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The transport's headers or metadata (lower-case names), built on first
   * read: they replace the request's `parameters.headers`.
   */
  readonly headers?: (() => Record<string, string>) | undefined;
  /**
   * When the transport received the call (`performance.now()`): what comes
   * before the data plane is the statistics' `compute_input`.
   */
  readonly receivedAt?: number | undefined;
  /** The transport's server span, parent of the model span. */
  readonly span?: TraceSpan | undefined;
  /**
   * Set by the data plane when the model's answer arrived
   * (`performance.now()`): the transport measures its encoding from there,
   * without a clock reading of its own.
   */
  answeredAt?: number;
}

/** The signal one call runs under, and how to release its timer. */
export interface CallSignal {
  readonly signal: AbortSignal;
  /** Stops the timer and forgets the client's signal (call when the call ends). */
  clear(): void;
}

/** A signal that never aborts, for calls with neither a client signal nor a timeout. */
const NEVER: AbortSignal = new AbortController().signal;
const NOTHING_TO_CLEAR = (): void => {};
const UNBOUNDED: CallSignal = Object.freeze({ signal: NEVER, clear: NOTHING_TO_CLEAR });

/**
 * Combines the client's signal, `inference_timeout` (seconds, or null for
 * none) and the server's shutdown signal into the one signal a call runs
 * under. The timeout aborts with a `DeadlineExceededError`, the shutdown
 * with its own reason (an `UnavailableError`), the client with a
 * `CancelledError` (see `abortReason`).
 */
export function callSignal(
  client: AbortSignal | undefined,
  timeoutSeconds: number | null,
  model: string,
  shutdown?: AbortSignal,
): CallSignal {
  const sources = (client === undefined ? 0 : 1) + (shutdown === undefined ? 0 : 1);
  if (timeoutSeconds === null && sources <= 1) {
    const only = client ?? shutdown;
    return only === undefined ? UNBOUNDED : { signal: only, clear: NOTHING_TO_CLEAR };
  }
  const controller = new AbortController();
  const timer = timeoutSeconds === null ? undefined : setTimeout(() => {
    controller.abort(
      new DeadlineExceededError(`Inference on model ${model} timed out after ${timeoutSeconds} s`),
    );
  }, timeoutSeconds * 1000);
  const onClientAbort = (): void => controller.abort(abortReason(client!));
  const onShutdown = (): void => controller.abort(abortReason(shutdown!));
  follow(client, onClientAbort);
  follow(shutdown, onShutdown);
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      client?.removeEventListener("abort", onClientAbort);
      shutdown?.removeEventListener("abort", onShutdown);
    },
  };
}

function follow(source: AbortSignal | undefined, onAbort: () => void): void {
  if (source === undefined) return;
  if (source.aborted) onAbort();
  else source.addEventListener("abort", onAbort, { once: true });
}

/**
 * Why an aborted call ended, as a `ServerError`: the signal's own reason when
 * it is one (a timeout), else a `CancelledError` (the client left).
 */
export function abortReason(signal: AbortSignal): ServerError {
  const reason = signal.reason;
  if (reason instanceof ServerError) return reason;
  return new CancelledError("Request cancelled by the client", { cause: reason });
}

/**
 * Resolves like `running`, or rejects with `abortReason(signal)` as soon as
 * the signal aborts, whichever comes first. `running` goes on (and is
 * awaited by whoever holds it); only the caller stops waiting.
 */
export function raceSignal<T>(running: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal === NEVER) return running;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    running.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(signal.aborted ? abortReason(signal) : err);
      },
    );
  });
}
