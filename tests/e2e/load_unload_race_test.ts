/**
 * ModelMesh cancels a load that outlives its timeout and sends the unload
 * at once; a client may also simply send both back to back. Each name's
 * loads (disk scan included) and unloads run whole and in arrival order, so
 * the model never stays registered after the unload.
 */
import assert from "node:assert/strict";
import { call, grpc, inferenceClient } from "../_grpc.ts";
import { RUNTIMES, startServer, withTmpDir, writeModel } from "../_helpers.ts";

const ROUNDS = 50;

Deno.test("a load followed at once by an unload never leaves the model registered (gRPC)", async (t) => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "slow", {
    implementation: RUNTIMES.behaviours("SlowLoad"),
    parameters: { extra: { load_delay_ms: 15 } },
  });
  await using srv = await startServer(dir.path, { settings: { load_models_at_startup: false } });
  const client = inferenceClient(srv.server.grpcPort);
  const registered = async (): Promise<boolean> => {
    const index = (await call(client, "RepositoryIndex", {})).response.models ?? [];
    return index.some((m: { name: string; state: string }) =>
      m.name === "slow" && m.state !== "UNAVAILABLE"
    );
  };
  try {
    await t.step(`load then unload, ${ROUNDS} times`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const load = call(client, "RepositoryModelLoad", { model_name: "slow" });
        const unload = call(client, "RepositoryModelUnload", { model_name: "slow" });
        const [loaded, unloaded] = await Promise.all([load, unload]);
        assert.equal(loaded.error, undefined, `round ${round}: ${loaded.error?.details}`);
        assert.equal(unloaded.error, undefined, `round ${round}: the unload found the model`);
        assert.equal(await registered(), false, `round ${round}`);
        assert.equal(
          (await call(client, "ModelReady", { name: "slow" })).error?.code,
          grpc.status.NOT_FOUND,
        );
      }
    });
    await t.step(`load cancelled mid-flight, then unload, ${ROUNDS} times`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const cancelled = new Promise<grpc.ServiceError | null>((resolve) => {
          const handle = client.RepositoryModelLoad({ model_name: "slow" }, resolve);
          setTimeout(() => handle.cancel(), round % 5); // at various points of the load
        });
        const unload = call(client, "RepositoryModelUnload", { model_name: "slow" });
        const [loadError, unloaded] = await Promise.all([cancelled, unload]);
        assert.equal(loadError?.code, grpc.status.CANCELLED, `round ${round}`);
        // The adapter takes NOT_FOUND on unload as "already gone".
        assert.ok(
          unloaded.error === undefined || unloaded.error.code === grpc.status.NOT_FOUND,
          `round ${round}: ${unloaded.error?.details}`,
        );
        // The unload ran after the load, whose undo (or the unload itself) removed the model.
        assert.equal(await registered(), false, `round ${round}`);
      }
    });
    await t.step("unknown ids: unload answers NOT_FOUND, as the adapter tolerates", async () => {
      const { error } = await call(client, "RepositoryModelUnload", { model_name: "never-seen" });
      assert.equal(error?.code, grpc.status.NOT_FOUND);
      assert.equal(error?.details, "Model never-seen not found");
    });
  } finally {
    client.close();
  }
});
