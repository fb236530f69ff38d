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
   * Runs `work` when a slot is free.
   *
   * @param what names the model in the 503 message
   * @throws {UnavailableError} when the queue is full
   */
  async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) {
      if (this.#queue.length >= this.#queueLimit) {
        throw new UnavailableError(
          `${what} is overloaded: ${this.#running} requests running and ${this.#queue.length} queued`,
        );
      }
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#queue.shift();
      // Hand the slot straight to the next waiter; otherwise free it.
      if (next !== undefined) next();
      else this.#running--;
    }
  }
}
