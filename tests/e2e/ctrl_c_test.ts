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
import { startCli, startTaskPermissions } from "../_cli.ts";
import { fixture, withTmpDir, writeModel } from "../_helpers.ts";

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
  // Beside its settings: the scoped child may read its model folders only.
  const folder = await writeModel(dir.path, "slow", {
    implementation: "behaviours.Sleeper",
    parameters: { extra: { delay_ms: 1500 } },
  });
  await Deno.copyFile(fixture("runtimes", "behaviours.ts"), join(folder, "behaviours.ts"));
  // setsid makes the launcher the leader of a new process group, as a shell makes a job.
  const launcher = await startCli([dir.path], {
    via: ["setsid"],
    permissions: startTaskPermissions(),
    env: { MLSERVER_METRICS_ENDPOINT: "none", MLSERVER_SHUTDOWN_TIMEOUT: "10" },
  });
  try {
    await launcher.waitReady();
    const inflight = fetch(`${launcher.url}/v2/models/slow/infer`, {
      method: "POST",
      body: JSON.stringify({ inputs: [{ name: "x", datatype: "INT32", shape: [1], data: [1] }] }),
    });
    await new Promise((r) => setTimeout(r, 300));
    Deno.kill(-launcher.pid, "SIGINT"); // the whole group, as the terminal does
    const response = await inflight;
    assert.equal(response.status, 200, "the running request finished");
    assert.deepEqual((await response.json()).outputs[0].data, [1]);
    const { code, stderr } = await launcher.exited();
    const log = launcher.lines.join("\n");
    assert.equal(code, 0, `${log}\n${stderr}`);
    assert.equal(launcher.lines.filter((l) => l.includes("Stopped")).length, 1, log);
    assert.ok(!launcher.lines.some((l) => l.includes("Second signal")), log);
  } finally {
    try {
      Deno.kill(-launcher.pid, "SIGKILL");
    } catch {
      // Already gone: the test's own stop worked.
    }
    await launcher.exited();
  }
});
