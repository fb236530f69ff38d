/**
 * Least privilege, as `deno task start` runs the server: the task's flags
 * are only enough to launch; the server itself runs in a child holding only
 * what it serves with. A custom runtime then tries what a hostile one would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTaskFlags } from "../_cli.ts";
import {
  fixture,
  freePort,
  type Json,
  postJson,
  repoPath,
  withTmpDir,
  writeModel,
} from "../_helpers.ts";

/** A runtime that reports what it may do: each probe answers its error name, or what it got. */
const PROBE = `import { MLModel, type InferenceResponse } from "mlserver";
export class Probe extends MLModel {
  async predict(): Promise<InferenceResponse> {
    const port = Number(this.settings.parameters.extra.port);
    const tries: Record<string, () => unknown> = {
      passwd: () => Deno.readTextFileSync("/etc/passwd").slice(0, 4),
      own_file: () => Deno.readTextFileSync(new URL("./model.json", import.meta.url)).length,
      secret_env: () => String(Deno.env.get("PROBE_SECRET")),
      connect: async () => { (await Deno.connect({ hostname: "127.0.0.1", port })).close(); return "connected"; },
      listen: () => { Deno.listen({ hostname: "127.0.0.1", port: 0 }).close(); return "listened"; },
      write: () => { Deno.writeTextFileSync(String(this.settings.parameters.extra.marker), "x"); return "wrote"; },
      run: () => { new Deno.Command("/bin/true").outputSync(); return "ran"; },
      ffi: () => { Deno.dlopen("libc.so.6", {}); return "opened"; },
    };
    const seen: Record<string, string> = {};
    for (const [name, attempt] of Object.entries(tries)) {
      try { seen[name] = String(await attempt()); } catch (e) { seen[name] = (e as Error).name; }
    }
    return { model_name: this.name, parameters: seen, outputs: [] };
  }
}
`;

interface Launched extends AsyncDisposable {
  url: string;
  lines: string[];
}

async function launch(
  root: string,
  extra: string[],
  env: Record<string, string>,
): Promise<Launched> {
  const [http, grpc] = [freePort(), freePort()];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...startTaskFlags(),
      "--config",
      repoPath("deno.json"),
      repoPath("main.ts"),
      "start",
      root,
      "--host",
      "127.0.0.1",
      "--http-port",
      String(http),
      "--grpc-port",
      String(grpc),
      ...extra,
    ],
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0", MLSERVER_METRICS_ENDPOINT: "none", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n"));
    }
  })();
  const stderr = new Response(child.stderr).text();
  const url = `http://127.0.0.1:${http}`;
  const started = () => lines.some((l) => /Startup finished|No models found/.test(l));
  for (let i = 0; i < 300 && !started(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(started(), `${lines.join("\n")}\n${await Promise.race([stderr, ""])}`);
  return {
    url,
    lines,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading;
      assert.equal(status.code, 0, await stderr);
    },
  };
}

async function probeModel(root: string, extra: Record<string, unknown>): Promise<void> {
  const folder = await writeModel(root, "probe", {
    implementation: "probe.Probe",
    parameters: { extra },
  });
  await Deno.writeTextFile(join(folder, "probe.ts"), PROBE);
  await Deno.writeTextFile(join(folder, "model.json"), "{}");
}

Deno.test("deno task start: a custom runtime can use only what the server serves with", async (t) => {
  await using dir = await withTmpDir();
  const outside = freePort();
  const target = Deno.listen({ hostname: "127.0.0.1", port: outside }); // something to connect to
  try {
    const marker = join(dir.path, "written");
    await probeModel(join(dir.path, "models"), { port: outside, marker });
    await t.step(
      "scoped: reads its folder only; no other env, net, listen, write, run, FFI",
      async () => {
        await using srv = await launch(join(dir.path, "models"), [], { PROBE_SECRET: "s3cret" });
        const { status, body } = await postJson(`${srv.url}/v2/models/probe/infer`, { inputs: [] });
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual(body.parameters, {
          passwd: "NotCapable",
          own_file: "2",
          secret_env: "undefined", // not passed to the server at all
          connect: "NotCapable",
          listen: "NotCapable",
          write: "NotCapable",
          run: "NotCapable",
          ffi: "NotCapable",
        });
        await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
      },
    );
    await t.step("granting more: Deno's own flags given to start", async () => {
      await using srv = await launch(
        join(dir.path, "models"),
        [`--allow-net=127.0.0.1:${outside}`, "--allow-env=PROBE_*"],
        { PROBE_SECRET: "s3cret" },
      );
      const { body } = await postJson(`${srv.url}/v2/models/probe/infer`, { inputs: [] });
      assert.equal(body.parameters.connect, "connected");
      assert.equal(body.parameters.secret_env, "s3cret");
      assert.equal(body.parameters.passwd, "NotCapable", "nothing else changed");
    });
  } finally {
    target.close();
  }
});

Deno.test("deno task start: FFI for the ONNX library only when an ONNX model is there at start", async () => {
  await using dir = await withTmpDir();
  const models = join(dir.path, "models");
  const folder = await writeModel(models, "small", { implementation: "mlserver_onnx.OnnxModel" });
  await Deno.copyFile(fixture("onnx", "graphs", "linear_small.onnx"), join(folder, "model.onnx"));
  // Beside it, a runtime that tries to open another library: FFI is for the ONNX library's path only.
  await probeModel(models, { port: freePort(), marker: join(dir.path, "written") });
  await using srv = await launch(models, [], {});
  const { status, body } = await postJson(`${srv.url}/v2/models/small/infer`, {
    inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
  });
  assert.equal(status, 200, JSON.stringify(body as Json));
  const probed = await postJson(`${srv.url}/v2/models/probe/infer`, { inputs: [] });
  assert.equal(probed.status, 200, JSON.stringify(probed.body));
  assert.equal(probed.body.parameters.ffi, "NotCapable", "libc.so.6 is not the ONNX library");
});

Deno.test("deno task start: the scoped server still closes stalled connections (the launcher feeds /proc)", async () => {
  await using dir = await withTmpDir();
  await using srv = await launch(join(dir.path, "models"), [], {
    MLSERVER_HTTP_HEADER_TIMEOUT: "1",
  });
  const port = Number(new URL(srv.url).port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("GET /v2 HTTP/1.1\r\nHost: x\r\n"));
    const read = await Promise.race([
      conn.read(new Uint8Array(64)).catch(() => null),
      new Promise((resolve) => setTimeout(() => resolve("open"), 6000)),
    ]);
    assert.equal(read, null, "closed by the server");
    assert.ok(!srv.lines.some((l) => l.includes("No connection table")), srv.lines.join("\n"));
  } finally {
    conn.close();
  }
});
