/**
 * The first link of the wrapper chain: `max_concurrency` and
 * `max_queue_size` as a `Model` wrapper. A call waits for a slot with the
 * caller's signal, so a client that leaves (or a deadline that passes) frees
 * its place in the queue at once; a running call keeps its slot until the
 * model really returns, even when its caller was answered 504 already.
 *
 * @module
 */

import type { InferenceRequest, InferenceResponse } from "../protocol/types.ts";
import { ConcurrencyLimiter } from "./limiter.ts";
import type { Model, PredictContext } from "./model.ts";
import { ModelWrapper } from "./wrapper.ts";

/** Runs at most `max_concurrency` predictions at once; the rest queue (or get a 503). */
export class ConcurrencyLimitedModel extends ModelWrapper {
  readonly #limiter: ConcurrencyLimiter;
  readonly #label: string;

  constructor(inner: Model) {
    super(inner);
    const { max_concurrency: limit, max_queue_size: queue } = inner.settings;
    this.#limiter = new ConcurrencyLimiter(limit ?? Infinity, queue ?? Infinity);
    this.#label = `Model ${inner.name}`;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.#limiter.queued;
  }

  override async predict(
    request: InferenceRequest,
    context: PredictContext,
  ): Promise<InferenceResponse> {
    const wait = this.#limiter.acquire(this.#label, () => context.signal);
    if (wait !== undefined) {
      await wait;
      context.dequeuedAt = performance.now();
    }
    try {
      return await this.inner.predict(request, context);
    } finally {
      this.#limiter.release();
    }
  }
}
