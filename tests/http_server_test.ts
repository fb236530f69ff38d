import assert from "node:assert/strict";
import { type ConnectionSource, HttpServer } from "../src/http_server.ts";
import type { ConnectionLimits } from "../src/rest/connection_guard.ts";
import { createLogger } from "../src/logging.ts";
import { closedWithin } from "./_helpers.ts";

const LIMITS = { headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxConnections: 100 };

/** A listener answering "served", logging into `lines`, with `connections` as its table. */
function listen(
  connections: ConnectionSource,
  lines: string[] = [],
  limits: ConnectionLimits = LIMITS,
): Promise<HttpServer> {
  return HttpServer.start({
    host: "127.0.0.1",
    port: 0,
    handler: () => Promise.resolve(new Response("served")),
    limits,
    logger: createLogger({ write: (line) => lines.push(line) }),
    connections,
  });
}

Deno.test("HttpServer without a connection table: says once that the bounds are off, and serves", async () => {
  const lines: string[] = [];
  let asked = 0;
  const server = await listen(() => {
    asked++;
    return Promise.resolve(undefined);
  }, lines);
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
  const server = await listen(() => Promise.resolve(null), lines); // a launcher that has sent nothing yet
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(await response.text(), "served");
    assert.ok(!lines.some((line) => line.includes("No connection table")), lines.join("\n"));
  } finally {
    await server.stop();
  }
});

/** Sends keep-alive requests on `conn` until `until` (performance.now()), each answered before the next. */
async function busy(conn: Deno.Conn, until: number): Promise<number> {
  const request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const buffer = new Uint8Array(4096);
  let answered = 0;
  while (performance.now() < until) {
    await conn.write(request);
    let text = "";
    while (!text.endsWith("served")) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("closed while busy");
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    answered++;
  }
  return answered;
}

Deno.test("HttpServer: connections busy long enough to be sampled still close after idle_timeout once quiet", async () => {
  const conns: Deno.Conn[] = [];
  // Exactly the test's connections, so every one of them is busy during the load.
  const table: ConnectionSource = () =>
    Promise.resolve(conns.map((c) => {
      const port = (c.localAddr as Deno.NetAddr).port;
      return { key: `client:${port}`, remotePort: port };
    }));
  const server = await listen(table, [], { ...LIMITS, idleTimeoutMs: 1_500 });
  try {
    for (let i = 0; i < 3; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    }
    // Over three looks of the guard: it samples from the second on.
    const until = performance.now() + 3_200;
    const answered = await Promise.all(conns.map((c) => busy(c, until)));
    assert.ok(answered.every((n) => n > 100), `answered ${answered}`);
    const closed = await Promise.all(conns.map((c) => closedWithin(c, 6_000)));
    // Not before idle_timeout from their last request (a stale sample would close them at the
    // next look), and within a few looks after it.
    for (const ms of closed) assert.ok(ms >= 1_200 && ms < 6_000, `closed after ${closed} ms`);
  } finally {
    for (const c of conns) c.close();
    await server.stop();
  }
});
