/**
 * Per-model admission: at most `max_concurrency` requests run at once, up to
 * `max_queue_size` more wait in order, and anything past that is refused with
 * a 503 at once instead of piling up (MLServer has no such limit).
 *
 * @module
 */

import { UnavailableError } from "../errors.ts";

/** Limits concurrent work, with a bounded FIFO queue. */
export class ConcurrencyLimiter {
  readonly #limit: number;
  readonly #queueLimit: number;
  #running = 0;
  readonly #queue: (() => void)[] = [];

  /**
   * @param limit requests run at once
   * @param queueLimit requests that may wait; Infinity for no bound
   */
  constructor(limit: number, queueLimit: number) {
    this.#limit = limit;
    this.#queueLimit = queueLimit;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Takes a slot: returns undefined when one was free, else a promise that
   * resolves when it is this caller's turn. Every successful acquire must be
   * followed by exactly one `release()`.
   *
   * @param what names the model in the 503 message
   * @param signal gives up waiting when aborted: the caller leaves the
   * queue and the promise rejects with the signal's reason (a function is
   * called only when the caller has to wait: the signal may cost to make)
   * @throws {UnavailableError} when the queue is full
   */
  acquire(what: string, waitSignal?: AbortSignal | (() => AbortSignal)): Promise<void> | undefined {
    if (this.#running < this.#limit) {
      this.#running++;
      return undefined;
    }
    if (this.#queue.length >= this.#queueLimit) {
      throw new UnavailableError(
        `${what} is overloaded: ${this.#running} requests running and ${this.#queue.length} queued`,
      );
    }
    const signal = typeof waitSignal === "function" ? waitSignal() : waitSignal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const turn = (): void => {
        signal?.removeEventListener("abort", leave);
        resolve();
      };
      const leave = (): void => {
        this.#queue.splice(this.#queue.indexOf(turn), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", leave, { once: true });
      this.#queue.push(turn);
    });
  }

  /** Frees a slot, handing it straight to the next waiter if there is one. */
  release(): void {
    const next = this.#queue.shift();
    if (next !== undefined) next();
    else this.#running--;
  }
}
