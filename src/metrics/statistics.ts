/**
 * Triton's per-model statistics, accumulated from the data plane's
 * observations: success and failure durations, and for successes the time
 * spent queued (before the runtime got the call), decoding (the transport's
 * reading of the request), in the runtime, and encoding the answer.
 * `inference_count` counts inferences (a batching model's batch rows), and
 * `execution_count` runtime calls, which differ once a batcher merges
 * requests: it will then report its executions itself.
 *
 * @module
 */

import {
  emptyStatistics,
  type InferObservation,
  type ModelKey,
  type ModelStatistics,
  type StatisticDuration,
} from "./recorder.ts";

const NS_PER_MS = 1e6;
/** Read once: the getter checks its receiver on every call, and the origin never changes. */
const TIME_ORIGIN = performance.timeOrigin;

interface BatchAccumulator {
  input: StatisticDuration;
  infer: StatisticDuration;
  output: StatisticDuration;
}

/** The running statistics of one model version. */
export class ModelStatisticsAccumulator {
  readonly #stats: ModelStatistics;
  readonly #batches = new Map<number, BatchAccumulator>();
  /** The batch of the last success, to which the encoding time that follows it is added. */
  #last: BatchAccumulator | undefined;

  constructor(model: ModelKey) {
    this.#stats = emptyStatistics(model);
  }

  /** Adds one inference. */
  add(o: InferObservation): void {
    const stats = this.#stats;
    const inference = stats.inference_stats;
    stats.last_inference = Math.round(TIME_ORIGIN + o.ended);
    const total = (o.ended - o.received) * NS_PER_MS;
    if (!o.ok) {
      add(inference.fail, total);
      return;
    }
    add(inference.success, total);
    stats.inference_count += o.batchSize;
    stats.execution_count++;
    const input = (o.started - o.received) * NS_PER_MS;
    const infer = (o.ended - o.runtimeStarted) * NS_PER_MS;
    add(inference.queue, (o.runtimeStarted - o.started) * NS_PER_MS);
    add(inference.compute_input, input);
    add(inference.compute_infer, infer);
    const batch = this.#batch(o.batchSize);
    add(batch.input, input);
    add(batch.infer, infer);
    this.#last = batch;
  }

  /** Adds the time the transport spent encoding an answer. */
  encoded(ms: number): void {
    add(this.#stats.inference_stats.compute_output, ms * NS_PER_MS);
    add((this.#last ?? this.#batch(1)).output, ms * NS_PER_MS);
  }

  /** A copy of the statistics, durations rounded to whole nanoseconds. */
  snapshot(): ModelStatistics {
    const stats = structuredClone(this.#stats);
    for (const duration of Object.values(stats.inference_stats)) {
      duration.ns = Math.round(duration.ns);
    }
    stats.batch_stats = [...this.#batches].sort(([a], [b]) => a - b).map(([size, b]) => ({
      batch_size: size,
      compute_input: rounded(b.input),
      compute_infer: rounded(b.infer),
      compute_output: rounded(b.output),
    }));
    return stats;
  }

  #batch(size: number): BatchAccumulator {
    let batch = this.#batches.get(size);
    if (batch === undefined) {
      batch = {
        input: { count: 0, ns: 0 },
        infer: { count: 0, ns: 0 },
        output: { count: 0, ns: 0 },
      };
      this.#batches.set(size, batch);
    }
    return batch;
  }
}

function add(duration: StatisticDuration, ns: number): void {
  duration.count++;
  duration.ns += ns > 0 ? ns : 0;
}

function rounded(duration: StatisticDuration): StatisticDuration {
  return { count: duration.count, ns: Math.round(duration.ns) };
}
