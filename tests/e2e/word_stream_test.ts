/**
 * The streaming example (examples/models/word-stream) served from the
 * examples folder: word by word over server-sent events, as curl sees them,
 * and through InferenceClient on REST and gRPC.
 */
import assert from "node:assert/strict";
import { InferenceClient, type InferenceRequest } from "../../src/mod.ts";
import { repoPath, startServer } from "../_helpers.ts";

const REQUEST: InferenceRequest = {
  inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["the quick brown fox"] }],
};
const text = (item: unknown) =>
  typeof item === "string" ? item : new TextDecoder().decode(item as Uint8Array);

Deno.test("WordStreamModel streams one word per event and per ModelStreamInfer message", async (t) => {
  await using srv = await startServer(repoPath("examples/models"), {
    env: { MLSERVER_MODULE_PATH: repoPath("examples/runtimes") },
  });
  await t.step("server-sent events, as curl reads them", async () => {
    const response = await fetch(`${srv.url}/v2/models/word-stream/infer_stream`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["hello streaming world"] }],
      }),
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const events = (await response.text()).trim().split("\n\n");
    assert.equal(events.length, 3);
    assert.deepEqual(
      events.map((event) => JSON.parse(event.replace(/^data: /, "")).outputs[0].data[0]),
      ["hello", "streaming", "world"],
    );
  });
  for (const transport of ["rest", "grpc"] as const) {
    await t.step(`InferenceClient over ${transport}`, async () => {
      const url = transport === "rest" ? srv.url : `grpc://127.0.0.1:${srv.server.grpcPort}`;
      using client = new InferenceClient({ url });
      const words: string[] = [];
      const positions: number[] = [];
      for await (const response of client.inferStream("word-stream", REQUEST)) {
        words.push(text((response.outputs[0]!.data as unknown[])[0]));
        positions.push((response.outputs[1]!.data as Int32Array)[0]!);
      }
      assert.deepEqual(words, ["the", "quick", "brown", "fox"]);
      assert.deepEqual(positions, [0, 1, 2, 3]);
      const whole = await client.infer("word-stream", REQUEST);
      assert.deepEqual((whole.outputs[0]!.data as unknown[]).map(text), words);
    });
  }
});
