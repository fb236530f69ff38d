/**
 * Logs as a user of `mlserver start` sees them: access lines in debug
 * mode, `use_structured_logging` for every line, and `logging_settings`
 * from a file or inline.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startCli } from "../_cli.ts";
import { call, grpc, inferenceClient } from "../_grpc.ts";
import { fixture, postJson, withTmpDir, writeModel } from "../_helpers.ts";

const OBSERVED = `${fixture("runtimes", "observed.ts")}:ObservedModel`;

async function models(settings: Record<string, unknown>) {
  const dir = await withTmpDir();
  await writeModel(dir.path, "alpha", { name: "alpha", implementation: OBSERVED });
  await Deno.writeTextFile(join(dir.path, "settings.json"), JSON.stringify(settings));
  return dir;
}

async function traffic(url: string, grpcPort: number): Promise<void> {
  const body = {
    id: "rest-id-1",
    inputs: [{ name: "x", datatype: "FP64", shape: [1], data: [1] }],
  };
  assert.equal((await postJson(`${url}/v2/models/alpha/infer`, body)).status, 200);
  assert.equal((await postJson(`${url}/v2/models/ghost/infer`, body)).status, 404);
  const client = inferenceClient(grpcPort);
  try {
    const answer = await call(client, "ModelInfer", {
      model_name: "alpha",
      id: "grpc-id-1",
      inputs: [{ name: "x", datatype: "FP64", shape: [1], contents: { fp64_contents: [1] } }],
    }, new grpc.Metadata());
    assert.equal(answer.error, undefined);
  } finally {
    client.close();
  }
}

Deno.test("mlserver start: debug access lines, every line JSON with use_structured_logging, levels from a logging_settings file", async () => {
  await using dir = await models({
    debug: true,
    use_structured_logging: true,
    logging_settings: "logging.json",
    // MLServer's files carry keys we do not read: each is a DEBUG line, written before the logger exists.
    not_a_setting: true,
  });
  // A relative path resolves against the working folder, as MLServer's does.
  await Deno.writeTextFile(
    join(dir.path, "logging.json"),
    // The REST logger writes a DEBUG line for the 404 below unless its level says otherwise.
    JSON.stringify({ version: 1, loggers: { "mlserver.rest": { level: "ERROR" } } }),
  );
  const server = await startCli([dir.path], { cwd: dir.path });
  try {
    await server.waitReady();
    await traffic(server.url, server.grpcPort);
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
  const records = server.lines.map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      assert.fail(`not a JSON line: ${line}`);
    }
  });
  assert.ok(records.length > 5);
  for (const record of records) {
    assert.deepEqual(Object.keys(record).slice(0, 4), ["time", "name", "level", "message"]);
  }
  const access = records.filter((r) => r.name === "mlserver.access").map((r) => r.message);
  assert.equal(access.length, 3, access.join("\n"));
  assert.match(access[0], /^POST \/v2\/models\/alpha\/infer 200 \d+\.\d+ms id=rest-id-1$/);
  assert.match(access[1], /^POST \/v2\/models\/ghost\/infer 404 \d+\.\d+ms id=-$/);
  assert.match(
    access[2],
    /^inference\.GRPCInferenceService\/ModelInfer OK \d+\.\d+ms id=grpc-id-1$/,
  );
  assert.deepEqual(records.filter((r) => r.name === "mlserver.rest"), []);
  // The settings' own debug lines (read before the logger existed) are JSON too.
  assert.ok(
    records.some((r) =>
      r.level === "DEBUG" && /Ignoring unknown key 'not_a_setting'/.test(r.message)
    ),
  );
});

Deno.test("mlserver start: an inline logging_settings with a JSON formatter and a quiet access logger", async () => {
  await using dir = await models({
    debug: true,
    logging_settings: {
      version: 1,
      formatters: { json: { "()": "pythonjsonlogger.jsonlogger.JsonFormatter" } },
      loggers: { "uvicorn.access": { level: "WARNING" } },
    },
  });
  const server = await startCli([dir.path]);
  try {
    await server.waitReady();
    await traffic(server.url, server.grpcPort);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
  const records = server.lines.map((line) => JSON.parse(line));
  assert.equal(records.filter((r) => r.name === "mlserver.access").length, 0);
  // Loggers the settings do not name keep the server's level (what the file above silences).
  assert.ok(
    records.some((r) =>
      r.name === "mlserver.rest" && r.level === "DEBUG" && /ghost/.test(r.message)
    ),
    JSON.stringify(records.filter((r) => r.name === "mlserver.rest")),
  );
  assert.ok(records.some((r) => /HTTP server running/.test(r.message)));
});

Deno.test("mlserver start: a logging_settings file that is missing exits 2 naming the setting", async () => {
  await using dir = await models({ logging_settings: "nowhere.json" });
  const { runCli } = await import("../_cli.ts");
  const { code, stderr } = await runCli(["start", dir.path]);
  assert.equal(code, 2);
  assert.match(stderr, /^error: logging_settings: cannot read '.*nowhere\.json'/);
});
