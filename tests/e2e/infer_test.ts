/**
 * `mlserver infer` as a process against a real server: the acceptance run
 * (1,000 requests, 8 workers, a model that fails one call in ten
 * transiently) over REST and gRPC, with and without --binary-data; then
 * micro-batches and failures.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, START_PERMISSIONS } from "../_cli.ts";
import { RUNTIMES, startServer, withTmpDir, writeModel } from "../_helpers.ts";
import { fnv1a } from "../fixtures/runtimes/behaviours.ts";

const CLI_PERMISSIONS = [...START_PERMISSIONS, "--allow-write"];

/** One request per line: id `${prefix}-${i}`, x = [[i, i + 1]]. */
function requestLines(prefix: string, count: number): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: `${prefix}-${i}`,
      inputs: [{ name: "x", datatype: "INT32", shape: [1, 2], data: [i, i + 1] }],
    })).join("\n") + "\n";
}

Deno.test("mlserver infer answers 1,000 requests in input order through transient failures", async (t) => {
  await using dir = await withTmpDir();
  const models = join(dir.path, "models");
  await writeModel(models, "flaky", {
    name: "flaky",
    implementation: RUNTIMES.behaviours("Flaky"),
  });
  await using srv = await startServer(models);
  const grpc = `127.0.0.1:${srv.server.grpcPort}`;
  for (const transport of ["rest", "grpc"] as const) {
    for (const binary of [false, true]) {
      await t.step(`${transport}${binary ? " --binary-data" : ""}`, async () => {
        // Ids differ per run: Flaky fails each id's first call only.
        const prefix = `${transport}-${binary}`;
        const input = join(dir.path, `${prefix}.jsonl`);
        const output = join(dir.path, `${prefix}.out.jsonl`);
        await Deno.writeTextFile(input, requestLines(prefix, 1000));
        const expectedRetries = Array.from({ length: 1000 }, (_, i) => `${prefix}-${i}`)
          .filter((id) => fnv1a(id) % 10 === 0).length;
        const args = [
          "infer",
          "-u",
          transport === "rest" ? srv.url.replace("http://", "") : grpc,
          "-t",
          transport,
          "-m",
          "flaky",
          "-i",
          input,
          "-o",
          output,
          "-w",
          "8",
          "--retry-delay",
          "0.01",
          ...(binary ? ["-b"] : []),
        ];
        const run = await runCli(args, { permissions: CLI_PERMISSIONS });
        assert.equal(run.code, 0, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(`1000 requests in .*: 1000 answered, 0 failed, ${expectedRetries} retries`),
        );
        assert.ok(expectedRetries > 50, `${expectedRetries} transient failures`);
        const lines = (await Deno.readTextFile(output)).trimEnd().split("\n");
        assert.equal(lines.length, 1000);
        lines.forEach((text, i) => {
          const answer = JSON.parse(text);
          assert.equal(answer.id, `${prefix}-${i}`);
          assert.equal(answer.parameters.batch_index, i);
          assert.equal(answer.parameters.inference_id, `${prefix}-${i}`);
          assert.deepEqual(answer.outputs[0].data, [i, i + 1]);
          assert.deepEqual(answer.outputs[0].shape, [1, 2]);
        });
        // Piped: plain progress lines, no terminal escapes.
        assert.match(run.stderr, /^1000\/1000 \(100%\), [\d.]+\/s, \d+ retries, 0 failed$/m);
        assert.ok(!run.stderr.includes("\u001b["), "no terminal escapes");
      });
    }
  }
});

Deno.test("mlserver infer merges micro-batches, splits the answers, and reports failures", async (t) => {
  await using dir = await withTmpDir();
  const models = join(dir.path, "models");
  await writeModel(models, "echo", { name: "echo", implementation: RUNTIMES.echo });
  await writeModel(models, "broken", {
    name: "broken",
    implementation: RUNTIMES.behaviours("PredictThrows"),
  });
  await using srv = await startServer(models);
  const url = srv.url.replace("http://", "");
  await t.step("-s 3: rows of several requests in one call, answers split back", async () => {
    const input = join(dir.path, "batch.jsonl");
    const lines = [
      ...requestLines("b", 4).trimEnd().split("\n"),
      "",
      '{"inputs": [{"name": "x", "datatype": "INT32", "shape": [2, 2], "data": [[7, 8], [9, 10]]}]}',
      "not json",
    ];
    await Deno.writeTextFile(input, lines.join("\n") + "\n");
    const run = await runCli(
      ["infer", "-u", url, "-m", "echo", "-i", input, "-o", "-", "-s", "3", "-H", "X-Tag: batch"],
      { permissions: CLI_PERMISSIONS },
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /6 requests in .*: 5 answered, 1 failed, 0 retries/);
    const answers = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(answers.map((a) => a.parameters.batch_index), [0, 1, 2, 3, 5, 6]);
    assert.deepEqual(answers.slice(0, 4).map((a) => a.outputs[0].data), [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    // Lines 0-2 went in one call: one inference id, each answer its own request id.
    assert.equal(new Set(answers.slice(0, 3).map((a) => a.parameters.inference_id)).size, 1);
    assert.deepEqual(answers.slice(0, 3).map((a) => a.id), ["b-0", "b-1", "b-2"]);
    assert.equal(answers[0].parameters.seen_tag, "batch");
    assert.deepEqual(answers[4].outputs[0], {
      name: "x",
      shape: [2, 2],
      datatype: "INT32",
      data: [7, 8, 9, 10],
    });
    assert.deepEqual(answers[5].error.status, "preprocessing error");
  });
  await t.step("a model error is an error line per request and exit code 1", async () => {
    const input = join(dir.path, "broken.jsonl");
    await Deno.writeTextFile(input, requestLines("x", 3));
    const run = await runCli(
      ["infer", "-u", url, "-m", "broken", "-i", input, "-o", "-", "-v"],
      { permissions: CLI_PERMISSIONS },
    );
    assert.equal(run.code, 1);
    const answers = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.equal(answers.length, 3);
    for (const [i, answer] of answers.entries()) {
      assert.equal(answer.parameters.batch_index, i);
      assert.equal(answer.error.status, "inference error");
      assert.match(answer.error.msg, /boom|Error/);
    }
    assert.match(run.stderr, /3 requests in .*: 0 answered, 3 failed, 0 retries/);
    assert.match(run.stderr, /server url: /); // -v prints the settings
  });
  await t.step("settings come from MLSERVER_INFER_* when no flag is given", async () => {
    const input = join(dir.path, "env.jsonl");
    await Deno.writeTextFile(input, requestLines("e", 2));
    const run = await runCli(["infer", "-o", "-"], {
      permissions: CLI_PERMISSIONS,
      env: {
        MLSERVER_INFER_URL: `127.0.0.1:${srv.server.grpcPort}`,
        MLSERVER_INFER_TRANSPORT: "grpc",
        MLSERVER_INFER_MODEL_NAME: "echo",
        MLSERVER_INFER_INPUT_DATA_PATH: input,
        MLSERVER_INFER_BINARY_DATA: "true",
        MLSERVER_INFER_REQUEST_HEADERS: "X-Tag:env X-Other:1",
      },
    });
    assert.equal(run.code, 0, run.stderr);
    const answers = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(answers.map((a) => a.outputs[0].data), [[0, 1], [1, 2]]);
    assert.equal(answers[0].parameters.seen_tag, "env");
  });
});
