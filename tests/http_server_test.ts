import assert from "node:assert/strict";
import { HttpServer } from "../src/http_server.ts";
import { createLogger } from "../src/logging.ts";

const LIMITS = { headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxConnections: 100 };

Deno.test("HttpServer without a connection table: says once that the bounds are off, and serves", async () => {
  const lines: string[] = [];
  let asked = 0;
  const server = await HttpServer.start({
    host: "127.0.0.1",
    port: 0,
    handler: () => Promise.resolve(new Response("served")),
    limits: LIMITS,
    logger: createLogger({ write: (line) => lines.push(line) }),
    connections: () => {
      asked++;
      return Promise.resolve(undefined);
    },
  });
  try {
    const warnings = lines.filter((line) => line.includes("No connection table"));
    assert.equal(warnings.length, 1, "said before the first request");
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`http://127.0.0.1:${server.port}/`);
      assert.equal(await response.text(), "served");
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // one inspection interval
    assert.equal(lines.filter((line) => line.includes("No connection table")).length, 1);
    assert.equal(asked, 1, "never asked again");
  } finally {
    await server.stop();
  }
});

Deno.test("HttpServer with a table that is not ready yet keeps its bounds on", async () => {
  const lines: string[] = [];
  const server = await HttpServer.start({
    host: "127.0.0.1",
    port: 0,
    handler: () => Promise.resolve(new Response("served")),
    limits: LIMITS,
    logger: createLogger({ write: (line) => lines.push(line) }),
    connections: () => Promise.resolve(null), // a launcher that has sent nothing yet
  });
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(await response.text(), "served");
    assert.ok(!lines.some((line) => line.includes("No connection table")), lines.join("\n"));
  } finally {
    await server.stop();
  }
});
