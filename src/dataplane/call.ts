/**
 * The call context: what a transport knows about one call (the model it
 * names, the client's cancellation, its headers), and the one signal a call
 * runs under, which combines the client's abort or deadline, the server's
 * `inference_timeout` and its shutdown. The queue, every wrapper and the
 * model see that signal; the data plane races the answer against the
 * timeout and the shutdown.
 *
 * The client's side is built only when something reads it (a call that has
 * to queue, a model that watches its signal): reading `request.signal` in
 * `Deno.serve` costs more than a small request's whole handling.
 *
 * @module
 */

import { CancelledError, DeadlineExceededError, ServerError } from "../errors.ts";
import type { ModelMeter, TraceSpan } from "../metrics/recorder.ts";

/** What a transport hands the data plane with each call. */
export interface CallContext {
  /** The model name as the client sent it (echoed in the answer). */
  readonly name: string;
  /** The version the client asked for, if any. */
  readonly version?: string | undefined;
  /**
   * The client's cancellation, made on first call: a signal aborted when the
   * client disconnects, cancels or runs past its own deadline.
   */
  readonly cancellation?: (() => AbortSignal) | undefined;
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
  /**
   * Set by the data plane with `answeredAt`: the answering model's meter,
   * where the transport reports its encoding time.
   */
  meter?: ModelMeter;
}

/** A signal that never aborts, for calls with neither a timeout nor a shutdown to watch. */
const NEVER: AbortSignal = new AbortController().signal;

/**
 * The calls running in one data plane, so that its shutdown ends them all
 * from one listener (a listener per call on a shared signal costs more than
 * a small request's handling). A list threaded through the calls
 * themselves (see `CallScope`): joining and leaving it allocate nothing.
 */
export class RunningCalls {
  /** The server's shutdown signal, or `NEVER`. */
  readonly stopping: AbortSignal;
  /** The most recent running call; the others follow it. */
  first: CallScope | undefined;

  constructor(stopping?: AbortSignal) {
    this.stopping = stopping ?? NEVER;
    this.stopping.addEventListener(
      "abort",
      () => CallScope.endAll(this, abortReason(this.stopping)),
      { once: true },
    );
  }
}

/**
 * What a model gets with one call (a `PredictContext`): `signal` combines the
 * client's cancellation, `inference_timeout` and the server's shutdown, and
 * is made only when read. The data plane waits for the answer with `race`,
 * which ends early on the timeout or the shutdown without any signal.
 */
export class CallScope {
  /** When the call left the last queue before the runtime (see `PredictContext`). */
  dequeuedAt?: number;
  readonly #cancellation: (() => AbortSignal) | undefined;
  readonly #running: RunningCalls;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  /** Only with a timeout, and only once `signal` was read. */
  #controller: AbortController | undefined;
  #signal: AbortSignal | undefined;
  /** Why the server ended the call (timeout, shutdown), once it has. */
  #ended: ServerError | undefined;
  #reject: ((reason: ServerError) => void) | undefined;
  /** Neighbours in `#running` (private: a model sees its own call only). */
  #previous: CallScope | undefined;
  #next: CallScope | undefined;

  /**
   * @param cancellation the client's, from the transport
   * @param timeoutSeconds `inference_timeout`, or null
   * @param running the data plane's calls, which its shutdown ends
   */
  constructor(
    cancellation: (() => AbortSignal) | undefined,
    timeoutSeconds: number | null,
    model: string,
    running: RunningCalls,
  ) {
    this.#cancellation = cancellation;
    this.#running = running;
    if (timeoutSeconds !== null) {
      this.#timer = setTimeout(() => {
        this.end(
          new DeadlineExceededError(
            `Inference on model ${model} timed out after ${timeoutSeconds} s`,
          ),
        );
      }, timeoutSeconds * 1000);
    }
    if (running.stopping.aborted) this.end(abortReason(running.stopping));
    else {
      this.#next = running.first;
      if (running.first !== undefined) running.first.#previous = this;
      running.first = this;
    }
  }

  /** Ends every call running in `running` (the shutdown). */
  static endAll(running: RunningCalls, reason: ServerError): void {
    for (let call = running.first; call !== undefined; call = call.#next) call.end(reason);
  }

  /** The call's one signal: the client's cancellation, the timeout and the shutdown, made on first read. */
  get signal(): AbortSignal {
    if (this.#signal !== undefined) return this.#signal;
    let server = this.#running.stopping;
    if (this.#timer !== undefined) {
      // The shutdown reaches this controller through `end`, as the timeout does.
      this.#controller = new AbortController();
      if (this.#ended !== undefined) this.#controller.abort(this.#ended);
      server = this.#controller.signal;
    }
    const client = this.#cancellation?.();
    this.#signal = client === undefined
      ? server
      : server === NEVER
      ? client
      : AbortSignal.any([server, client]);
    return this.#signal;
  }

  /** Why the call was aborted (timeout, shutdown, or the client when its signal was read). */
  get aborted(): ServerError | undefined {
    if (this.#ended !== undefined) return this.#ended;
    const signal = this.#signal;
    return signal?.aborted ? abortReason(signal) : undefined;
  }

  /** Ends the call for the server's reason: its signal aborts and `race` rejects. */
  end(reason: ServerError): void {
    if (this.#ended !== undefined) return;
    this.#ended = reason;
    this.#controller?.abort(reason);
    this.#reject?.(reason);
  }

  /**
   * Resolves like `running`, or rejects as soon as the server ends the call
   * (timeout, shutdown), whichever comes first; a rejection of `running`
   * caused by the call's signal becomes that abort's `ServerError` (a client
   * that left is a `CancelledError`, not a fault). `running` goes on (and
   * is awaited by whoever holds it); only the caller stops waiting.
   *
   * @param settled called once `running` settles, however the race ended
   *   (the data plane releases the model there: one pair of callbacks on
   *   `running` per call, not two)
   */
  race<T>(running: Promise<T>, settled?: () => void): Promise<T> {
    if (this.#ended !== undefined) {
      if (settled !== undefined) running.then(settled, settled);
      return Promise.reject(this.#ended);
    }
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      running.then((value) => {
        settled?.();
        resolve(value);
      }, (err) => {
        settled?.();
        reject(this.aborted ?? err);
      });
    });
  }

  /** Stops the timer and the shutdown watch (call when the call ends). */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#reject = undefined;
    const previous = this.#previous, next = this.#next;
    if (previous !== undefined) previous.#next = next;
    else if (this.#running.first === this) this.#running.first = next;
    if (next !== undefined) next.#previous = previous;
    this.#previous = this.#next = undefined;
  }
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
