/**
 * `mlserver infer`: MLServer's batch inference command. Reads V2 requests,
 * one per line, sends them with the SDK's `InferenceClient` over REST or
 * gRPC, and writes the answers in input order. Exit code 0 when every
 * request was answered, 1 when some failed (their lines say why).
 *
 * @module
 */

import { InferenceClient } from "../client/client.ts";
import { parseInferOptions } from "./infer_options.ts";
import { type InputLine, runInfer } from "./infer_run.ts";
import { createProgress } from "./progress.ts";

export { INFER_HELP } from "./infer_options.ts";

const encoder = new TextEncoder();

/** Runs `infer`. */
export async function inferCommand(
  args: string[],
  env: Readonly<Record<string, string>>,
): Promise<number> {
  const options = parseInferOptions(args, env);
  const total = await countLines(options.inputPath);
  const tty = Deno.stderr.isTerminal();
  const progress = await createProgress(total, { tty });
  const say = (line: string) => progress.log(line);
  if (options.verbosity >= 1) {
    say(
      `server url: ${options.url} (${options.transport}${options.useSsl ? ", TLS" : ""}), ` +
        `model name: ${options.modelName}, input: ${options.inputPath}, ` +
        `output: ${options.outputPath}, workers: ${options.workers}, retries: ${options.retries}, ` +
        `batch size: ${options.batchSize}, binary data: ${options.binaryData}, ` +
        `timeout: ${options.timeout} s, request headers: ${JSON.stringify(options.headers)}`,
    );
  }
  const retries = { count: 0 };
  using client = new InferenceClient({
    url: options.url,
    transport: options.transport,
    ssl: options.useSsl,
    insecure: options.insecure,
    caCerts: options.caFile === undefined ? undefined : [await Deno.readTextFile(options.caFile)],
    headers: options.headers,
    timeout: options.timeout * 1000,
    retries: options.retries - 1, // MLServer counts attempts
    retryDelay: options.retryDelay * 1000,
    onRetry: ({ attempt, error, delay }) => {
      retries.count++;
      if (options.verbosity >= 1) {
        say(`retry ${attempt}/${options.retries - 1} in ${delay} ms: ${error.message}`);
      }
    },
  });
  const output = options.outputPath === "-"
    ? undefined
    : await Deno.open(options.outputPath, { write: true, create: true, truncate: true });
  const started = performance.now();
  try {
    const summary = await runInfer(options, {
      client,
      lines: readLines(options.inputPath),
      progress,
      retries,
      write: async (text) => {
        const bytes = encoder.encode(text);
        if (output === undefined) await writeAll(Deno.stdout, bytes);
        else await writeAll(output, bytes);
      },
    });
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    const line = `${summary.total} requests in ${seconds.toFixed(2)} s ` +
      `(${
        (summary.total / Math.max(seconds, 1e-9)).toFixed(1)
      }/s): ${summary.answered} answered, ` +
      `${summary.failed} failed, ${summary.retries} retries` +
      (summary.failed > 0 && output !== undefined ? ` (error lines in ${options.outputPath})` : "");
    Deno.stderr.writeSync(encoder.encode(`${line}\n`));
    return summary.failed > 0 ? 1 : 0;
  } finally {
    progress.stop();
    output?.close();
  }
}

async function writeAll(
  writer: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await writer.write(bytes.subarray(offset));
}

/** Non-empty lines of a file (for the progress total). */
async function countLines(path: string): Promise<number> {
  let count = 0;
  for await (const _ of readLines(path)) count++;
  return count;
}

/** The non-empty lines of a file, with their line numbers. */
async function* readLines(path: string): AsyncGenerator<InputLine> {
  // The stream closes the file when it ends or is cancelled.
  const file = await Deno.open(path);
  let rest = "";
  let index = 0;
  for await (const chunk of file.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const part of parts) {
      const text = part.trim();
      if (text !== "") yield { index, text };
      index++;
    }
  }
  if (rest.trim() !== "") yield { index, text: rest.trim() };
}
