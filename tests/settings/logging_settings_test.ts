import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidSettingsError } from "../../src/errors.ts";
import { createLogger, type LoggerOptions } from "../../src/logging.ts";
import { loggerOptions, loggerOptionsFrom } from "../../src/settings/logging_settings.ts";
import { withTmpDir } from "../_helpers.ts";

const BASE = { debug: false, use_structured_logging: false };

Deno.test("loggerOptionsFrom() reads per-logger levels and the JSON choice of a dictConfig", async (t) => {
  const cases: { name: string; settings?: typeof BASE; input: unknown; expected: LoggerOptions }[] =
    [
      { name: "no config", input: null, expected: { level: "info", structured: false } },
      {
        name: "debug and structured settings",
        settings: { debug: true, use_structured_logging: true },
        input: undefined,
        expected: { level: "debug", structured: true },
      },
      {
        name: "levels by name, Python's spellings and numbers",
        input: {
          version: 1,
          loggers: {
            "mlserver": { level: "WARNING" },
            "mlserver.rest": { level: "debug" },
            "mlserver.grpc": { level: 40 },
            "mlserver.x": { level: "CRITICAL" },
            "other": { handlers: [] },
          },
        },
        expected: {
          level: "info",
          structured: false,
          levels: {
            "mlserver": "warning",
            "mlserver.rest": "debug",
            "mlserver.grpc": "error",
            "mlserver.x": "error",
          },
        },
      },
      {
        name: "uvicorn's access logger is ours",
        input: { loggers: { "uvicorn.access": { level: "WARN" } } },
        expected: { level: "info", structured: false, levels: { "mlserver.access": "warning" } },
      },
      {
        name: "a JSON formatter class",
        input: { formatters: { f: { class: "pythonjsonlogger.jsonlogger.JsonFormatter" } } },
        expected: { level: "info", structured: true, levels: {} },
      },
      {
        name: "structured: false wins over use_structured_logging",
        settings: { debug: false, use_structured_logging: true },
        input: { structured: false },
        expected: { level: "info", structured: false, levels: {} },
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(loggerOptionsFrom(c.settings ?? BASE, c.input), c.expected);
    });
  }
});

Deno.test("loggerOptionsFrom() refuses bad entries, naming them", () => {
  const cases: [unknown, RegExp][] = [
    [[1], /logging_settings: must be an object/],
    [{ loggers: [] }, /loggers: must be an object/],
    [{ loggers: { a: "DEBUG" } }, /loggers\.a: must be an object/],
    [{ loggers: { a: { level: "LOUD" } } }, /loggers\.a\.level: unknown level "LOUD"/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => loggerOptionsFrom(BASE, input), (err: Error) => {
      assert.ok(err instanceof InvalidSettingsError);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("loggerOptions() reads a JSON file relative to the working folder", async () => {
  await using dir = await withTmpDir();
  await Deno.writeTextFile(
    join(dir.path, "log.json"),
    JSON.stringify({ loggers: { "mlserver.rest": { level: "ERROR" } } }),
  );
  await Deno.writeTextFile(join(dir.path, "log.ini"), "[loggers]\nkeys=root\n");
  const options = await loggerOptions({ ...BASE, logging_settings: "log.json" }, dir.path);
  assert.deepEqual(options.levels, { "mlserver.rest": "error" });
  await assert.rejects(
    loggerOptions({ ...BASE, logging_settings: "log.ini" }, dir.path),
    /is not JSON \(only JSON dictConfig files are supported\)/,
  );
});

Deno.test("createLogger() levels: the most specific configured name wins, children inherit", () => {
  const lines: string[] = [];
  const root = createLogger({
    level: "warning",
    levels: { "mlserver.rest": "debug", "mlserver.rest.quiet": "error" },
    write: (line) => lines.push(line),
    structured: true,
  });
  root.info("root info (dropped)");
  root.child("rest").debug("rest debug");
  root.child("rest").child("deep").debug("deep debug");
  root.child("rest").child("quiet").warning("quiet warning (dropped)");
  root.child("grpc").info("grpc info (dropped)");
  root.child("restless").debug("not a child of rest (dropped)");
  assert.deepEqual(lines.map((l) => JSON.parse(l).message), ["rest debug", "deep debug"]);
  assert.equal(root.child("rest").enabled("debug"), true);
  assert.equal(root.enabled("info"), false);
});
