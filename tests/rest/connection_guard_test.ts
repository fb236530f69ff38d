import assert from "node:assert/strict";
import {
  type ConnectionEntry,
  ConnectionGuard,
  parseSocketTable,
  SAMPLE_EVERY,
} from "../../src/rest/connection_guard.ts";

const TABLE =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:D432 06 00000000:00000000 03:00000318 00000000     0        0 0 3 0
   3: 0100007F:1F91 0100007F:D433 01 00000000:00000000 00:00000000 00000000     0        0 3003 1 0 20 4 30 10 -1
   4: 0100007F:1F90 0100007F:D434 08 00000000:00000000 00:00000000 00000000     0        0 4004 1 0 20 4 30 10 -1
`;

Deno.test("parseSocketTable() lists the connections to one port that hold a descriptor", () => {
  assert.deepEqual(parseSocketTable(TABLE, 8080), [
    { key: "0100007F:D431#2002", remotePort: 0xd431 }, // ESTABLISHED
    { key: "0100007F:D434#4004", remotePort: 0xd434 }, // CLOSE_WAIT still holds a descriptor
  ]);
  assert.deepEqual(parseSocketTable(TABLE, 8081).map((e) => e.remotePort), [0xd433]);
  assert.deepEqual(parseSocketTable("", 8080), []);
});

const LIMITS = { headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxConnections: 10 };
const conn = (port: number): ConnectionEntry => ({ key: `peer:${port}#${port}`, remotePort: port });

Deno.test("ConnectionGuard.inspect() finds connections that never sent a request in time", () => {
  const guard = new ConnectionGuard(LIMITS);
  assert.deepEqual(guard.inspect([conn(1)], 0), { action: "none", open: 1 });
  assert.deepEqual(guard.inspect([conn(1)], 9_000), { action: "none", open: 1 });
  assert.deepEqual(guard.inspect([conn(1)], 10_001), { action: "rotate", open: 1, stalled: 1 });
});

Deno.test("ConnectionGuard.inspect() leaves busy connections alone and closes idle ones", () => {
  const guard = new ConnectionGuard(LIMITS);
  guard.inspect([conn(1), conn(2)], 0);
  guard.begin(1, 100); // a request that runs for two minutes
  guard.begin(2, 100);
  guard.end(2, 200);
  assert.equal(guard.inspect([conn(1), conn(2)], 59_000).action, "none");
  const late = guard.inspect([conn(1), conn(2)], 61_000);
  assert.deepEqual(late, { action: "rotate", open: 2, stalled: 1 }, "only the idle one");
});

Deno.test("ConnectionGuard.inspect() ignores connections a retired server still finishes", () => {
  const guard = new ConnectionGuard(LIMITS);
  guard.inspect([conn(1)], 0);
  assert.equal(guard.inspect([conn(1)], 11_000).action, "rotate");
  guard.rotated(11_000);
  assert.equal(guard.inspect([conn(1)], 30_000).action, "none", "draining on the old server");
  assert.equal(guard.inspect([conn(1), conn(2)], 30_000).action, "none");
  assert.equal(guard.inspect([conn(1), conn(2)], 41_000).action, "rotate", "the new one stalls");
});

Deno.test("ConnectionGuard.inspect() pauses at max_connections and resumes below 90%", () => {
  const guard = new ConnectionGuard(LIMITS);
  const many = (n: number) => Array.from({ length: n }, (_, i) => conn(i + 1));
  assert.equal(guard.inspect(many(9), 0).action, "none");
  assert.deepEqual(guard.inspect(many(10), 1), { action: "pause", open: 10 });
  assert.equal(guard.paused, true);
  assert.equal(guard.inspect(many(9), 2).action, "none", "still at 90%");
  assert.deepEqual(guard.inspect(many(8), 3), { action: "resume", open: 8 });
  assert.equal(guard.paused, false);
});

Deno.test("ConnectionGuard forgets closed connections and unused ports", () => {
  const guard = new ConnectionGuard(LIMITS);
  guard.inspect([conn(1)], 0);
  guard.begin(1, 5);
  guard.end(1, 6);
  guard.inspect([], 7);
  // The same client port on a new connection starts its header clock afresh.
  assert.equal(guard.inspect([conn(1)], 8_000).action, "none");
  assert.equal(guard.inspect([conn(1)], 18_001).action, "rotate");
});

Deno.test("ConnectionGuard samples while every connection is busy, and counts exactly once one is not", () => {
  const guard = new ConnectionGuard(LIMITS);
  guard.inspect([conn(1), conn(2)], 0);
  assert.equal(guard.sampling, false, "nothing seen yet");
  guard.begin(1, 500);
  guard.end(1, 510);
  guard.begin(2, 600);
  guard.end(2, 610);
  guard.inspect([conn(1), conn(2)], 1_000);
  assert.equal(guard.sampling, true, "both sent requests since the last look");
  guard.sampled(1);
  guard.sampled(2);
  guard.inspect([conn(1), conn(2)], 2_000);
  assert.equal(guard.sampling, true, "both sampled");
  guard.sampled(1); // connection 2 went quiet
  guard.inspect([conn(1), conn(2)], 3_000);
  assert.equal(guard.sampling, false, "one unsampled connection ends the sampling");
  guard.sampled(1); // ignored now: the listener calls begin and end again
  guard.inspect([conn(1), conn(2)], 4_000);
  assert.equal(guard.sampling, false, "connection 2 is still quiet");
});

/** A guard that saw connection 1 send a request within its first second, so samples from 1 s on. */
function samplingGuard(): ConnectionGuard {
  const guard = new ConnectionGuard(LIMITS);
  guard.inspect([conn(1)], 0);
  guard.begin(1, 500);
  guard.end(1, 510);
  guard.inspect([conn(1)], 1_000);
  assert.equal(guard.sampling, true);
  return guard;
}

Deno.test("ConnectionGuard: a new connection that sends nothing while sampling gets its header timeout", () => {
  const guard = samplingGuard();
  guard.sampled(1);
  // A slow client connects and never finishes its headers.
  assert.equal(guard.inspect([conn(1), conn(3)], 2_000).action, "none");
  assert.equal(guard.sampling, false);
  guard.begin(1, 2_500);
  guard.end(1, 2_510);
  assert.equal(guard.inspect([conn(1), conn(3)], 11_000).action, "none");
  assert.deepEqual(guard.inspect([conn(1), conn(3)], 12_001), {
    action: "rotate",
    open: 2,
    stalled: 1,
  });
});

Deno.test("ConnectionGuard: a connection that goes quiet while sampled gets its idle timeout from its last sample", () => {
  const guard = samplingGuard();
  // Sampled busily for two minutes: longer than idle_timeout since its last exact count.
  for (let t = 2_000; t <= 120_000; t += 1_000) {
    guard.sampled(1);
    assert.equal(guard.inspect([conn(1)], t).action, "none", `at ${t} ms`);
  }
  // Then quiet: judged idle 60 s after the last look that sampled it, not at once
  // and not after the header timeout.
  assert.equal(guard.inspect([conn(1)], 121_000).action, "none");
  assert.equal(guard.sampling, false);
  assert.equal(guard.inspect([conn(1)], 179_000).action, "none");
  assert.deepEqual(guard.inspect([conn(1)], 181_000), { action: "rotate", open: 1, stalled: 1 });
});

Deno.test("ConnectionGuard.samplesNext() picks about one request in SAMPLE_EVERY, never in a fixed stride", () => {
  const guard = new ConnectionGuard(LIMITS);
  const picked: number[] = [];
  for (let i = 0; i < 80_000; i++) if (guard.samplesNext()) picked.push(i);
  const expected = 80_000 / SAMPLE_EVERY;
  assert.ok(Math.abs(picked.length - expected) < expected * 0.1, `${picked.length} picked`);
  const gaps = new Set(picked.slice(1).map((at, i) => at - picked[i]!));
  assert.ok(gaps.size > SAMPLE_EVERY, `gaps ${[...gaps]}`);
  assert.ok(Math.max(...gaps) < 2 * SAMPLE_EVERY, "no connection waits long for its turn");
});
