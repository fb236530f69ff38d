/**
 * Runs operations one at a time per key: a load, reload or unload of one
 * model name never interleaves with another for the same name, while
 * different names proceed in parallel.
 *
 * @module
 */

/** Serialises async operations that share a key. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `operation` after every earlier operation on `key` has settled. */
  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(operation, operation);
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    // Forget the key once nothing else queued behind this operation.
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
