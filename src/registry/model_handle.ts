/**
 * One loaded model instance and the requests running on it, so an unload or
 * a reload can wait for them before releasing the instance.
 *
 * @module
 */

import type { Model } from "../runtime/model.ts";

/** A loaded model plus its in-flight request count. */
export class ModelHandle {
  readonly model: Model;
  #inflight = 0;
  #waiters: (() => void)[] = [];

  constructor(model: Model) {
    this.model = model;
  }

  /** Requests currently running on this instance. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Marks one more request as running. */
  acquire(): void {
    this.#inflight++;
  }

  /** Marks one request as finished (a bound function: it is handed around as a callback). */
  readonly release = (): void => {
    this.#inflight--;
    if (this.#inflight === 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  };

  /**
   * Resolves true once no request is running, or false when `timeoutMs`
   * passes first.
   */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.#inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((wake) => wake !== onIdle);
        resolve(false);
      }, timeoutMs);
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(onIdle);
    });
  }
}
