/**
 * One attempt of a client call: its headers (the client's, then the call's,
 * lower-case) and its signal (the caller's signal and the attempt's timeout
 * in one), and the waits between attempts.
 *
 * @module
 */

import { InferenceClientError } from "../errors.ts";
import type { TransportCall } from "../protocol/transport.ts";

/** An attempt: what the transport gets, plus how to read its failure and clean up. */
export interface Attempt extends TransportCall {
  /** The failure as the caller sees it: the timeout's error, or the caller's abort reason. */
  explain(err: unknown): unknown;
  /** Clears the timer and the listener. */
  dispose(): void;
}

/**
 * Starts an attempt.
 *
 * @param timeout milliseconds; 0 or Infinity for none
 * @param what names the server in the timeout's message
 */
export function startAttempt(options: {
  timeout: number;
  what: string;
  headers: readonly (Readonly<Record<string, string>> | undefined)[];
  signal?: AbortSignal | undefined;
  version?: string | undefined;
}): Attempt {
  const { timeout, signal } = options;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const timer = timeout > 0 && Number.isFinite(timeout)
    ? setTimeout(() => {
      controller.abort(
        new InferenceClientError(`The call to ${options.what} timed out after ${timeout} ms`, {
          retryable: true,
        }),
      );
    }, timeout)
    : undefined;
  const headers: Record<string, string> = {};
  for (const source of options.headers) {
    for (const [key, value] of Object.entries(source ?? {})) headers[key.toLowerCase()] = value;
  }
  return {
    headers,
    signal: controller.signal,
    version: options.version,
    explain: (err) => (controller.signal.aborted ? controller.signal.reason : err),
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** Waits, unless the signal ends the wait (then rejects with its reason). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
