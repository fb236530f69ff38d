/**
 * Regression guard for denoland/deno#36788: Deno 2.9.4 to 2.9.6 abort the
 * whole process when a gRPC client closes a connection that carried a few
 * thousand calls. The server runs as its own process here, so an abort shows
 * up as a dead server rather than a dead test runner.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { grpc } from "../_grpc.ts";
import { startCli } from "../_cli.ts";
import { RUNTIMES, withTmpDir, writeModel } from "../_helpers.ts";

const CALLS = 4000;
const CONCURRENCY = 32;

function serverLive(client: grpc.Client): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/inference.GRPCInferenceService/ServerLive",
      (v: Buffer) => v,
      (v: Buffer) => v,
      Buffer.alloc(0),
      (err, value) => err ? reject(err) : resolve(value!),
    );
  });
}

Deno.test("the server survives a client closing a channel after thousands of calls", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
  const server = await startCli([dir.path]);
  const port = server.grpcPort;
  try {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    let sent = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (sent < CALLS) {
        sent++;
        assert.deepEqual([...await serverLive(client)], [0x08, 0x01]);
      }
    }));
    client.close();
    // Give a broken runtime the moment it needs to abort.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fresh = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      assert.deepEqual([...await serverLive(fresh)], [0x08, 0x01], "the server still answers");
    } finally {
      fresh.close();
    }
  } finally {
    const { code, signal, stderr } = await server.stop();
    assert.equal(
      code,
      0,
      `the server process ended with code ${code} (signal ${signal}):\n${stderr.slice(-2000)}`,
    );
  }
});
