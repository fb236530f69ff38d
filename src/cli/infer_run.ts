/**
 * The work of `mlserver infer`: lines of the input file are read in order,
 * grouped into batches, sent by `workers` concurrent workers through the
 * SDK's `InferenceClient` (which retries transient failures), and written in
 * input order however they finish. The reader stays at most a few batches
 * per worker ahead of the writer, so memory does not grow with the file.
 *
 * @module
 */

import type { InferenceClient } from "../client/client.ts";
import { InferenceClientError, messageOf } from "../errors.ts";
import { decodeJsonRequest } from "../protocol/json_request.ts";
import { encodeJsonResponse } from "../protocol/json_response.ts";
import type { InferenceResponse } from "../protocol/types.ts";
import { type BatchItem, mergeBatch, splitResponse } from "./infer_batch.ts";
import type { InferOptions } from "./infer_options.ts";
import type { Progress } from "./progress.ts";

/** One non-empty line of the input. */
export interface InputLine {
  /** Line number from 0 (MLServer's `batch_index`). */
  index: number;
  text: string;
}

/** Counts of a finished run. */
export interface InferSummary {
  /** Requests read. */
  total: number;
  /** Requests answered. */
  answered: number;
  /** Requests that failed: invalid lines and calls that failed after their attempts. */
  failed: number;
  /** Attempts made again after a transient failure. */
  retries: number;
}

/** What the run needs besides its options. */
export interface InferDeps {
  client: InferenceClient;
  lines: AsyncIterable<InputLine>;
  /** Writes output lines (each ends with a newline). */
  write(text: string): Promise<void>;
  progress: Progress;
  /** Counts retries: the client reports them here. */
  retries: { count: number };
}

/** A written line: the answer or the error of one request. */
type Result = { line: string; ok: boolean };

const MAX_LOGGED = 1_000;

/** Runs every request; resolves once every line is written. */
export async function runInfer(options: InferOptions, deps: InferDeps): Promise<InferSummary> {
  const summary: InferSummary = { total: 0, answered: 0, failed: 0, retries: 0 };
  const results = new Map<number, Result>(); // by sequence number, until written
  let nextToWrite = 0;
  let read = 0;
  const window = Math.max(4 * options.workers * options.batchSize, 64);
  let wakeReader: (() => void) | undefined;
  // Lines finished while a write is under way go out together in the next one.
  let unwritten = "";
  let writing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (unwritten !== "") {
      const text = unwritten;
      unwritten = "";
      await deps.write(text);
    }
    writing = undefined;
  };
  const log = (level: number, line: string) => {
    if (options.verbosity >= level) deps.progress.log(line);
  };

  const finish = (sequence: number, result: Result): void => {
    results.set(sequence, result);
    let chunk = "";
    while (results.has(nextToWrite)) {
      const done = results.get(nextToWrite)!;
      results.delete(nextToWrite++);
      chunk += done.line + "\n";
      if (done.ok) summary.answered++;
      else summary.failed++;
    }
    if (chunk === "") return;
    unwritten += chunk;
    writing ??= flush();
    deps.progress.update(nextToWrite, { retries: deps.retries.count, failed: summary.failed });
    wakeReader?.();
  };

  const batches = readBatches(deps.lines, options.batchSize, async (count) => {
    read += count;
    while (read - nextToWrite > window) await new Promise<void>((r) => wakeReader = r);
  });
  const worker = async (id: number): Promise<void> => {
    for (;;) {
      const next = await batches.next();
      if (next.done) return;
      const started = performance.now();
      await processBatch(next.value, id, options, deps, finish, log);
      const pause = options.batchInterval + Math.random() * options.batchJitter -
        (performance.now() - started) / 1000;
      if (pause > 0) await new Promise((r) => setTimeout(r, pause * 1000));
    }
  };
  await Promise.all(Array.from({ length: options.workers }, (_, id) => worker(id)));
  await writing;
  await flush();
  summary.total = nextToWrite;
  summary.retries = deps.retries.count;
  return summary;
}

/** Lines of one batch, each with its sequence number among the lines read. */
type Batch = { sequence: number; line: InputLine }[];

/** Batches of lines, shared by every worker (one generator, read by turns). */
function readBatches(
  lines: AsyncIterable<InputLine>,
  size: number,
  admit: (count: number) => Promise<void>,
): { next(): Promise<IteratorResult<Batch>> } {
  const source = lines[Symbol.asyncIterator]();
  let sequence = 0;
  let turn = Promise.resolve();
  return {
    next() {
      const result = turn.then(async (): Promise<IteratorResult<Batch>> => {
        const batch: Batch = [];
        while (batch.length < size) {
          const line = await source.next();
          if (line.done) break;
          batch.push({ sequence: sequence++, line: line.value });
        }
        if (batch.length === 0) return { done: true, value: undefined };
        await admit(batch.length);
        return { done: false, value: batch };
      });
      turn = result.then(() => {}, () => {});
      return result;
    },
  };
}

async function processBatch(
  batch: Batch,
  worker: number,
  options: InferOptions,
  deps: InferDeps,
  finish: (sequence: number, result: Result) => void,
  log: (level: number, line: string) => void,
): Promise<void> {
  const items: BatchItem[] = [];
  const sequenceOf = new Map<number, number>();
  for (const { sequence, line } of batch) {
    log(2, `worker ${worker}: request ${line.index}: ${clip(line.text)}`);
    try {
      const request = decodeJsonRequest(JSON.parse(line.text));
      request.id ??= crypto.randomUUID(); // as MLServer: every request has an id
      items.push({ index: line.index, request });
      sequenceOf.set(line.index, sequence);
    } catch (err) {
      log(1, `request ${line.index}: invalid: ${messageOf(err)}`);
      finish(sequence, errorLine(line.index, "preprocessing error", err));
    }
  }
  for (const group of mergeBatch(items, () => crypto.randomUUID())) {
    const id = group.request.id!;
    let answers: InferenceResponse[];
    try {
      const response = await deps.client.infer(options.modelName, group.request, {
        binary: options.binaryData,
        headers: { "x-request-id": id, "seldon-puid": id },
      });
      answers = splitResponse(group, response).map((answer) => {
        answer.parameters = {
          batch_index: 0,
          inference_id: response.id,
          ...answer.parameters,
        };
        return answer;
      });
    } catch (err) {
      log(1, `request ${group.items.map((i) => i.index).join(", ")}: failed: ${describe(err)}`);
      for (const item of group.items) {
        finish(sequenceOf.get(item.index)!, errorLine(item.index, "inference error", err));
      }
      continue;
    }
    group.items.forEach((item, position) => {
      const answer = answers[position]!;
      answer.parameters!.batch_index = item.index;
      let line: string;
      try {
        line = encodeJsonResponse(answer);
      } catch (err) {
        finish(sequenceOf.get(item.index)!, errorLine(item.index, "postprocessing error", err));
        return;
      }
      log(2, `worker ${worker}: answer ${item.index}: ${clip(line)}`);
      finish(sequenceOf.get(item.index)!, { line, ok: true });
    });
  }
}

/** MLServer's error line: `{"parameters": {"batch_index": i}, "error": {"status", "msg"}}`. */
function errorLine(index: number, status: string, err: unknown): Result {
  const msg = err instanceof InferenceClientError || err instanceof SyntaxError
    ? err.message
    : messageOf(err);
  return {
    line: JSON.stringify({ parameters: { batch_index: index }, error: { status, msg } }),
    ok: false,
  };
}

function describe(err: unknown): string {
  if (!(err instanceof InferenceClientError)) return messageOf(err);
  const code = err.status ?? err.grpcCode;
  return code === undefined ? err.message : `${err.message} (${code})`;
}

function clip(text: string): string {
  return text.length <= MAX_LOGGED ? text : `${text.slice(0, MAX_LOGGED)}…`;
}
