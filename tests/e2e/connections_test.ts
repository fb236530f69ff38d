/**
 * Connection bounds end to end: half-sent requests (slowloris) and idle
 * kept-alive connections are closed, running requests are not, the
 * connection cap refuses the excess and then accepts again, and running out
 * of file descriptors no longer ends the process.
 */
import assert from "node:assert/strict";
import { RUNTIMES, startServer, withTmpDir, writeModel } from "../_helpers.ts";
import { closedWithin, fixture } from "../_helpers.ts";
import { startCli } from "../_cli.ts";

const encoder = new TextEncoder();
const HALF_REQUEST = encoder.encode("POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\n");

async function connect(port: number): Promise<Deno.Conn> {
  return await Deno.connect({ hostname: "127.0.0.1", port });
}

async function ok(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v2/health/live`);
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

Deno.test("half-sent requests are closed after http_header_timeout; the server keeps serving", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
  await using srv = await startServer(dir.path, { settings: { http_header_timeout: 1 } });
  const conns = await Promise.all(Array.from({ length: 20 }, () => connect(srv.server.httpPort)));
  try {
    await Promise.all(conns.map((c) => c.write(HALF_REQUEST)));
    const closed = await Promise.all(conns.map((c) => closedWithin(c, 5000)));
    assert.ok(closed.every((ms) => ms >= 0), `closed after ${closed.map(Math.round)} ms`);
    assert.ok(await ok(srv.url));
  } finally {
    for (const c of conns) c.close();
  }
});

Deno.test("idle kept-alive connections close after idle_timeout; running requests finish", async () => {
  const { SlowModel } = await import(fixture("runtimes", "behaviours.ts"));
  SlowModel.reset();
  await using dir = await withTmpDir();
  await writeModel(dir.path, "slow", { implementation: RUNTIMES.behaviours("SlowModel") });
  await using srv = await startServer(dir.path, { settings: { idle_timeout: 1 } });
  const idle = await connect(srv.server.httpPort);
  try {
    // One whole request, then silence.
    await idle.write(encoder.encode("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"));
    const answer = new Uint8Array(1024);
    assert.ok(((await idle.read(answer)) ?? 0) > 0);
    // Meanwhile a request that runs longer than the idle timeout.
    const running = fetch(`${srv.url}/v2/models/slow/infer`, {
      method: "POST",
      body: JSON.stringify({ inputs: [] }),
    });
    assert.ok((await closedWithin(idle, 5000)) >= 0, "the idle connection was closed");
    SlowModel.release();
    const response = await running;
    assert.equal(response.status, 200, "the running request was not cut");
    await response.body?.cancel();
    assert.ok(await ok(srv.url));
  } finally {
    SlowModel.release();
    idle.close();
  }
});

Deno.test("max_connections: at the cap the listener pauses and closes the connections it holds, then accepts again", async () => {
  await using dir = await withTmpDir();
  await using srv = await startServer(dir.path, {
    settings: { max_connections: 10, http_header_timeout: 60 },
  });
  const conns = await Promise.all(Array.from({ length: 12 }, () => connect(srv.server.httpPort)));
  try {
    // Within a second or two the listener pauses: its idle connections are closed.
    const closed = await Promise.all(conns.map((c) => closedWithin(c, 5000)));
    assert.ok(closed.every((ms) => ms >= 0), `closed: ${closed.map(Math.round)}`);
    let serving = false;
    for (let i = 0; i < 50 && !serving; i++) {
      serving = await ok(srv.url);
      if (!serving) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(serving, "accepting again once below the cap");
  } finally {
    for (const c of conns) c.close();
  }
});

Deno.test("running out of file descriptors stops the listener, not the process", async () => {
  await using dir = await withTmpDir();
  // A low open-file limit for the server only; a cap above it, so descriptors really run out.
  const server = await startCli([dir.path], {
    via: ["sh", "-c", 'ulimit -n 200 && exec "$0" "$@"'],
    env: { MLSERVER_MAX_CONNECTIONS: "5000" },
  });
  const { url, lines } = server;
  const conns: Deno.Conn[] = [];
  try {
    const port = Number(new URL(url).port);
    for (let i = 0; i < 400; i++) {
      try {
        conns.push(await connect(port));
      } catch {
        break; // refused: the listener stopped
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const c of conns.splice(0)) c.close();
    let serving = false;
    for (let i = 0; i < 60 && !serving; i++) {
      serving = await ok(url);
      if (!serving) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(serving, `serving again after the descriptors came back:\n${lines.join("\n")}`);
    assert.ok(
      lines.some((l) => /HTTP listener on .* stopped: .*Too many open files/.test(l)),
      "logged once",
    );
    assert.equal(lines.filter((l) => / stopped: /.test(l)).length, 1, lines.join("\n"));
    // The end of the outage is said once, when the listener bound again has stayed up.
    const recovered = () => lines.filter((l) => / is accepting again/.test(l)).length;
    for (let i = 0; i < 30 && recovered() === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(recovered(), 1, lines.join("\n"));
  } finally {
    for (const c of conns) c.close();
    const { code, stderr } = await server.stop("SIGTERM");
    assert.equal(code, 0, stderr);
  }
});

Deno.test("gRPC: connections with no call (silent or idle) close after idle_timeout", async () => {
  await using dir = await withTmpDir();
  await using srv = await startServer(dir.path, { settings: { idle_timeout: 1 } });
  const conns = await Promise.all(Array.from({ length: 10 }, () => connect(srv.server.grpcPort)));
  try {
    // The server speaks first (its HTTP/2 settings); it then hangs up on silence.
    const closed = await Promise.all(conns.map((c) => closedWithin(c, 5000)));
    assert.ok(closed.every((ms) => ms >= 0), `closed after ${closed.map(Math.round)} ms`);
  } finally {
    for (const c of conns) c.close();
  }
});
