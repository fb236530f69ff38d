/**
 * Ctrl-C in a terminal running `deno task start`: the terminal sends SIGINT
 * to the whole process group, so the launcher and the scoped child it runs
 * the server in both get one, and the launcher forwards its own. The
 * launcher must outlive the signal and wait for the child; the child gets
 * one SIGINT or two at once (the kernel merges one still pending), which must
 * be one graceful stop: the running request finishes, the process exits 0.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTaskFlags } from "../_cli.ts";
import { freePort, repoPath, withTmpDir, writeModel } from "../_helpers.ts";

const SLOW = `import { MLModel, type InferenceResponse } from "mlserver";
export class Slow extends MLModel {
  async predict(): Promise<InferenceResponse> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return { model_name: this.name, outputs: [{ name: "done", datatype: "BOOL", shape: [1], data: [true] }] };
  }
}
`;

async function hasSetsid(): Promise<boolean> {
  try {
    return (await new Deno.Command("setsid", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output()).success;
  } catch {
    return false;
  }
}

Deno.test("Ctrl-C under deno task start (SIGINT to launcher and child at once) drains, then exits 0", async () => {
  if (!await hasSetsid()) {
    console.log("skipped: needs setsid (util-linux) to give the launcher its own process group");
    return;
  }
  await using dir = await withTmpDir();
  const folder = await writeModel(dir.path, "slow", { implementation: "slow.Slow" });
  await Deno.writeTextFile(join(folder, "slow.ts"), SLOW);
  const http = freePort();
  // setsid makes the launcher the leader of a new process group, as a shell makes a job.
  const launcher = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "run",
      ...startTaskFlags(),
      "--config",
      repoPath("deno.json"),
      repoPath("main.ts"),
      "start",
      dir.path,
      "--host",
      "127.0.0.1",
      "--http-port",
      String(http),
      "--grpc-port",
      String(freePort()),
    ],
    env: {
      NO_COLOR: "1",
      RUST_BACKTRACE: "0",
      MLSERVER_METRICS_ENDPOINT: "none",
      MLSERVER_SHUTDOWN_TIMEOUT: "10",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    for await (const chunk of launcher.stdout.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n"));
    }
  })();
  const stderr = new Response(launcher.stderr).text();
  try {
    const started = () => lines.some((l) => l.includes("Startup finished"));
    for (let i = 0; i < 300 && !started(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(started(), lines.join("\n"));
    const inflight = fetch(`http://127.0.0.1:${http}/v2/models/slow/infer`, {
      method: "POST",
      body: JSON.stringify({ inputs: [{ name: "x", datatype: "INT32", shape: [1], data: [1] }] }),
    });
    await new Promise((r) => setTimeout(r, 300));
    Deno.kill(-launcher.pid, "SIGINT"); // the whole group, as the terminal does
    const response = await inflight;
    assert.equal(response.status, 200, "the running request finished");
    assert.deepEqual((await response.json()).outputs[0].data, [true]);
    const status = await launcher.status;
    await reading;
    assert.equal(status.code, 0, `${lines.join("\n")}\n${await stderr}`);
    assert.equal(lines.filter((l) => l.includes("Stopped")).length, 1, lines.join("\n"));
    assert.ok(!lines.some((l) => l.includes("Second signal")), lines.join("\n"));
  } finally {
    try {
      Deno.kill(-launcher.pid, "SIGKILL");
    } catch {
      // Already gone: the test's own stop worked.
    }
    await launcher.status;
    await reading.catch(() => {});
    await stderr;
  }
});
