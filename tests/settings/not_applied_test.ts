import assert from "node:assert/strict";
import { resolveModelSettings } from "../../src/settings/model_settings.ts";
import {
  modelSettingsNotApplied,
  serverSettingsNotApplied,
} from "../../src/settings/not_applied.ts";
import { ServerSettingsSchema } from "../../src/settings/server_settings.ts";
import { createLogger } from "../../src/logging.ts";
import { ModelServer } from "../../src/server.ts";
import { RUNTIMES, withTmpDir, writeModel } from "../_helpers.ts";

Deno.test("serverSettingsNotApplied() warns once per setting that has no effect", () => {
  assert.deepEqual(serverSettingsNotApplied(ServerSettingsSchema.parse({})), []);
  const warnings = serverSettingsNotApplied(
    ServerSettingsSchema.parse({ parallel_workers: 2, cache_enabled: true }),
  );
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /^parallel_workers=2 has no effect yet/);
  assert.match(warnings[1]!, /^cache_enabled has no effect yet/);
});

Deno.test("modelSettingsNotApplied() warns for batching, workers and cache when set", () => {
  const cases: [Record<string, unknown>, RegExp[]][] = [
    [{}, []],
    [{ max_batch_size: 8, max_batch_time: 0.5 }, [/^max_batch_size=8 and max_batch_time=0.5/]],
    [{ max_batch_size: 8 }, [/needs both/]],
    [{ parallel_workers: 0 }, []],
    [{ parallel_workers: 3, cache_enabled: true }, [/^parallel_workers=3/, /^cache_enabled/]],
  ];
  for (const [given, expected] of cases) {
    const warnings = modelSettingsNotApplied(resolveModelSettings({ name: "m", ...given }));
    assert.equal(warnings.length, expected.length, JSON.stringify(given));
    expected.forEach((pattern, i) => assert.match(warnings[i]!, pattern));
  }
});

Deno.test("ModelServer logs each unapplied setting once, at startup and at model load", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "batched", {
    implementation: RUNTIMES.echo,
    max_batch_size: 8,
    max_batch_time: 0.1,
  });
  const lines: string[] = [];
  const settings = Object.freeze(ServerSettingsSchema.parse({
    host: "127.0.0.1",
    http_port: 0,
    grpc_port: 0,
    metrics_port: 0,
    model_repository_root: dir.path,
    parallel_workers: 2,
  }));
  await using server = new ModelServer({
    settings,
    logger: createLogger({ write: (line) => lines.push(line) }),
  });
  await server.start();
  await server.startupDone;
  const warnings = lines.filter((line) => line.includes(" WARNING - "));
  assert.equal(warnings.filter((l) => l.includes("parallel_workers=2")).length, 1);
  assert.equal(
    warnings.filter((l) => l.includes("[batched] WARNING - max_batch_size=8")).length,
    1,
  );
});
