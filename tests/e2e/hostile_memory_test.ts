/**
 * The requests of issue 10 that took the whole server down, at full size,
 * within the configured limits: millions of empty inputs over REST and
 * gRPC, and millions of empty `bytes_contents` in one gRPC message. Each is
 * refused with a short error, the process's resident memory stays bounded
 * while it is, and both transports answer afterwards.
 */
import assert from "node:assert/strict";
import { callRaw, grpc } from "../_grpc.ts";
import { startServer, withTmpDir } from "../_helpers.ts";
import {
  assertAlive,
  assertCleanMessage,
  assertErrorBody,
  hostileModels,
  MAX_REQUEST_SIZE,
  pb,
} from "./_hostile.ts";

/** Growth of resident memory a refused request may cause (client and server share the process). */
const MAX_RSS_GROWTH = 1024 * 1024 * 1024;

/** A line of /proc/self/status in bytes (`VmRSS`, `VmHWM`), undefined off Linux. */
function statusBytes(name: string): number | undefined {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` and returns its result and the peak growth of resident
 * memory. The peak is the kernel's (VmHWM, reset first through
 * /proc/self/clear_refs), so a spike between two timer ticks, or while the
 * event loop is busy and no timer can run, still counts. Without it (not
 * Linux), RSS is sampled every 10 ms.
 */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const start = Deno.memoryUsage().rss;
  let kernelPeak = false;
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5"); // VmHWM := VmRSS
    kernelPeak = statusBytes("VmHWM") !== undefined;
  } catch {
    // Not Linux: sample below.
  }
  let peak = start;
  const timer = kernelPeak
    ? undefined
    : setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 10);
  try {
    const result = await work();
    peak = Math.max(peak, kernelPeak ? statusBytes("VmHWM")! : Deno.memoryUsage().rss);
    return { result, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

/** A ModelInferRequest for `echo` of one input whose contents are `count` copies of a 2-byte field. */
function repeatedContents(count: number, element: readonly [number, number], datatype: string) {
  const contentsLength = count * 2;
  const head = [...pb.text(1, "s"), ...pb.text(2, datatype), ...pb.len(3, pb.varint(count))];
  const contentsTag = [...pb.tag(5, 2), ...pb.varint(contentsLength)];
  const inputLength = head.length + contentsTag.length + contentsLength;
  const prefix = [
    ...pb.text(1, "echo"),
    ...pb.tag(5, 2),
    ...pb.varint(inputLength),
    ...head,
    ...contentsTag,
  ];
  const out = new Uint8Array(prefix.length + contentsLength);
  out.set(prefix);
  // Little-endian pairs, filled in one pass.
  const pairs = new Uint16Array(count).fill(element[0] | (element[1] << 8));
  out.set(new Uint8Array(pairs.buffer), prefix.length);
  return out;
}

Deno.test("the issue's server-killing requests are refused with bounded memory", async (t) => {
  await using dir = await withTmpDir();
  await hostileModels(dir.path);
  await using srv = await startServer(dir.path, {
    settings: { max_request_size: MAX_REQUEST_SIZE }, // gRPC keeps its 64 MiB default
  });
  const port = srv.server.grpcPort;

  await t.step("REST: 2.5 million empty inputs in 7.5 MB -> 400, a short message", async () => {
    const body = `{"inputs":[${new Array(2_500_000).fill("{}").join(",")}]}`;
    assert.ok(body.length < MAX_REQUEST_SIZE);
    const { result, growth } = await peakGrowth(async () => {
      const response = await fetch(`${srv.url}/v2/models/echo/infer`, { method: "POST", body });
      return { status: response.status, text: await response.text() };
    });
    assert.equal(result.status, 400);
    const message = assertErrorBody(result.text, "2.5 M inputs");
    assert.match(message, /; and 7499990 more problem\(s\)$/);
    assert.ok(growth < MAX_RSS_GROWTH, `RSS grew by ${growth} bytes`);
    await assertAlive(srv.url, port, "2.5 M inputs");
  });

  await t.step("gRPC: 2.5 million empty inputs -> RESOURCE_EXHAUSTED", async () => {
    const message = new Uint8Array(2 + 4 + 2_500_000 * 2);
    message.set([...pb.text(1, "echo")]);
    for (let i = 6; i < message.length; i += 2) message[i] = 0x2a; // inputs, length 0
    const { result, growth } = await peakGrowth(() =>
      callRaw(port, "/inference.GRPCInferenceService/ModelInfer", message)
    );
    assert.equal(result.error?.code, grpc.status.RESOURCE_EXHAUSTED, `${result.error?.details}`);
    assertCleanMessage(result.error!.details, "2.5 M gRPC inputs");
    assert.ok(growth < MAX_RSS_GROWTH, `RSS grew by ${growth} bytes`);
    await assertAlive(srv.url, port, "2.5 M gRPC inputs");
  });

  for (const count of [10_000_000, 30_000_000]) {
    await t.step(
      `gRPC: ${count / 1e6} million empty bytes_contents in ${
        count * 2 / 1e6
      } MB -> RESOURCE_EXHAUSTED`,
      async () => {
        const message = repeatedContents(count, [0x42, 0x00], "BYTES");
        const { result, growth } = await peakGrowth(() =>
          callRaw(port, "/inference.GRPCInferenceService/ModelInfer", message)
        );
        assert.equal(
          result.error?.code,
          grpc.status.RESOURCE_EXHAUSTED,
          `${result.error?.details}`,
        );
        assert.match(
          result.error!.details,
          new RegExp(`^Input 's': ${count} BYTES elements: decoding this \\d+-byte message`),
        );
        assertCleanMessage(result.error!.details, "bytes_contents");
        assert.ok(growth < MAX_RSS_GROWTH, `RSS grew by ${growth} bytes`);
        await assertAlive(srv.url, port, "bytes_contents");
      },
    );
  }

  await t.step(
    "gRPC: 3 million unpacked INT32 values that match their shape are served",
    async () => {
      // Numeric data decodes into one typed array no larger than its bytes: not counted.
      const count = 3_000_000;
      const message = repeatedContents(count, [0x10, 0x07], "INT32");
      const { result, growth } = await peakGrowth(() =>
        callRaw(port, "/inference.GRPCInferenceService/ModelInfer", message)
      );
      assert.equal(result.error, undefined, `${result.error?.details}`);
      assert.ok(growth < MAX_RSS_GROWTH, `RSS grew by ${growth} bytes`);
    },
  );
});
