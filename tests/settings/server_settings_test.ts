import assert from "node:assert/strict";
import { defaultMaxConnections } from "../../src/rest/connection_guard.ts";
import { ServerSettingsSchema } from "../../src/settings/server_settings.ts";

Deno.test("connection bounds default to what the README says: 10 s head, 75 s idle, the open-file limit less 256", async () => {
  const settings = ServerSettingsSchema.parse({});
  assert.equal(settings.http_header_timeout, 10);
  assert.equal(settings.idle_timeout, 75);
  assert.equal(
    settings.max_connections,
    null,
    "null: worked out from the open-file limit at start",
  );
  const limits = await Deno.readTextFile("/proc/self/limits");
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)![1]);
  assert.equal(await defaultMaxConnections(), Math.max(32, Math.min(soft - 256, 16384)));
});
