/**
 * `deno task compile`, as exactly as this machine allows. Our build machines
 * cannot download `denort`, the runtime `deno compile` needs, so the test
 * passes when the compile either produces a binary that serves an example
 * model and loads a custom module from a temporary folder, or fails only at
 * that download after type checking and building the module graph. Any
 * other failure fails. Then, with `DENORT_BIN` pointing at this Deno (which
 * lets the compile finish, though the result is not a working server), it
 * checks what the executable embeds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { compileTaskArgs } from "../scripts/compile_with.ts";
import { repoPath, withTmpDir } from "./_helpers.ts";

/** The compile task's arguments, with the output redirected to `output`. */
async function compileArgs(output: string): Promise<string[]> {
  const args = await compileTaskArgs(output);
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"), "no blanket permissions");
  return args;
}

async function compile(output: string, env: Record<string, string> = {}) {
  const result = await new Deno.Command(Deno.execPath(), {
    args: await compileArgs(output),
    cwd: repoPath(),
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
  return { success: result.success, text };
}

const RUNTIME_DOWNLOAD = /dl\.deno\.land|denort|Setting up base binary/;

async function servesExamples(binary: string): Promise<void> {
  await using dir = await withTmpDir();
  await Deno.mkdir(join(dir.path, "custom"));
  await Deno.writeTextFile(
    join(dir.path, "custom", "double.ts"),
    `import { MLModel, type InferenceRequest, type InferenceResponse } from "mlserver";
export class Double extends MLModel {
  predict(r: InferenceRequest): Promise<InferenceResponse> {
    const x = r.inputs[0]!.data as Float64Array;
    return Promise.resolve({ model_name: this.name, outputs: [{ name: "y", datatype: "FP64", shape: [x.length], data: x.map((v) => v * 2) }] });
  }
}
`,
  );
  await Deno.writeTextFile(
    join(dir.path, "custom", "model-settings.json"),
    JSON.stringify({ implementation: "double.Double" }),
  );
  await Deno.mkdir(join(dir.path, "iris"));
  for (const file of ["custom_model.ts", "model.json", "model-settings.json"]) {
    await Deno.copyFile(repoPath("examples/models/iris", file), join(dir.path, "iris", file));
  }
  const xgboost = join(dir.path, "iris-xgboost");
  await Deno.mkdir(xgboost);
  for (const file of ["model.json", "model-settings.json"]) {
    await Deno.copyFile(repoPath("examples/models/iris-xgboost", file), join(xgboost, file));
  }
  const child = new Deno.Command(binary, {
    args: ["start", dir.path, "--host", "127.0.0.1", "--http-port", "0", "--grpc-port", "0"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the binary exited:\n${log}`);
    log += value;
    url = /HTTP server running on (http:\/\/\S+)/.exec(log)?.[1];
  }
  try {
    while (
      (await fetch(`${url}/v2/health/ready`).then((r) => (r.body?.cancel(), r.status))) !== 200
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const custom = await fetch(`${url}/v2/models/custom/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "x", datatype: "FP64", shape: [2], data: [1, 2.5] }],
      }),
    });
    assert.deepEqual((await custom.json()).outputs[0].data, [2, 5]);
    const iris = await fetch(`${url}/v2/models/iris/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
      }),
    });
    assert.deepEqual((await iris.json()).outputs[0].data, [0]);
    const builtin = await fetch(`${url}/v2/models/iris-xgboost/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4], data: [6.7, 3.0, 5.2, 2.3] }],
      }),
    });
    assert.deepEqual((await builtin.json()).outputs[0].data, [2]);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reader.cancel();
  }
}

Deno.test("deno task compile builds the executable, or fails only at the runtime download", async () => {
  await using dir = await withTmpDir();
  const binary = join(dir.path, "mlserver");
  const { success, text } = await compile(binary);
  if (success) {
    await servesExamples(binary);
    return;
  }
  // "Compile main.ts to ..." comes only after type checking (possibly from
  // Deno's cache of an earlier successful check) and building the graph.
  assert.doesNotMatch(text, /TS\d{4} \[ERROR\]/, `type errors:\n${text}`);
  assert.match(
    text,
    /Compile .*main\.ts to /,
    `type checking or the module graph failed:\n${text}`,
  );
  assert.match(
    text,
    RUNTIME_DOWNLOAD,
    `deno compile failed for another reason than the runtime download:\n${text}`,
  );
  console.log(
    "deno compile type-checked and built the module graph, then stopped at the denort download " +
      "(dl.deno.land is unreachable here); the binary itself could not be produced on this machine",
  );
});

Deno.test("the executable embeds the server, the built-in runtimes, the SDK sources and the gRPC definitions, not the tests", async () => {
  await using dir = await withTmpDir();
  // With DENORT_BIN the compile can finish offline; the result embeds
  // everything but runs as plain Deno, so only its contents are checked.
  const { success, text } = await compile(join(dir.path, "mlserver"), {
    DENORT_BIN: Deno.execPath(),
  });
  assert.ok(success, text);
  const embedded = text.slice(text.indexOf("Embedded Files"));
  assert.ok(embedded.length > 0, text);
  // src/ holds the SDK sources `init` copies out of a compiled binary and the
  // generated proto descriptor; grpc-health-check carries its health.proto.
  for (
    const expected of [
      "main.ts",
      "src/",
      "grpc-health-check/",
      "grpc-js/",
      "reflection/",
      "zod/",
      // The API docs page's files, and the tracing SDK (imported only when tracing is on).
      "swagger-ui-dist/",
      "@opentelemetry",
    ]
  ) {
    assert.ok(embedded.includes(expected), `${expected} is embedded:\n${embedded}`);
  }
  // The built-in runtimes: listed as "runtimes/*" or as a folder holding xgboost.
  assert.match(embedded, /runtimes\/\*|xgboost \(/, `runtimes/ is embedded:\n${embedded}`);
  // Test-only packages and folders stay out (--exclude-unused-npm), and so does
  // onnxruntime-node: its native library comes from the image's library folder.
  for (
    const unexpected of [
      "yaml/",
      "tests/",
      "bench/",
      "examples/",
      "onnxruntime-node/",
      "playwright",
    ]
  ) {
    assert.ok(!embedded.includes(unexpected), `${unexpected} is not embedded:\n${embedded}`);
  }
});
