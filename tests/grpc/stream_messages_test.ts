/**
 * ModelStreamInfer's reader of client messages, on a fake call: it stops
 * reading while messages wait for the model (so HTTP/2 flow control holds a
 * fast client back) and reads again once the model catches up.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { messages } from "../../src/grpc/stream.ts";

class FakeCall extends EventEmitter {
  paused = false;
  pauses = 0;
  pause(): this {
    this.paused = true;
    this.pauses++;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
}

Deno.test("stream messages: reading pauses after 8 waiting messages and resumes as they drain", async () => {
  const call = new FakeCall();
  const incoming = messages(call as never);
  for (let i = 0; i < 7; i++) call.emit("data", Buffer.from([i]));
  assert.equal(call.paused, false, "7 waiting messages: still reading");
  call.emit("data", Buffer.from([7]));
  assert.equal(call.paused, true, "the 8th waiting message pauses the call");
  const read: number[] = [];
  for (let i = 0; i < 4; i++) read.push((await incoming.next()).value![0]!);
  assert.equal(call.paused, true, "still 4 waiting");
  read.push((await incoming.next()).value![0]!);
  assert.equal(call.paused, false, "3 waiting: reading again");
  call.emit("end");
  for (let next = await incoming.next(); !next.done; next = await incoming.next()) {
    read.push(next.value[0]!);
  }
  assert.deepEqual(read, [0, 1, 2, 3, 4, 5, 6, 7], "every message, in order");
  assert.equal(call.pauses, 1);
});

Deno.test("stream messages: an error after the queue drains reaches the reader", async () => {
  const call = new FakeCall();
  const incoming = messages(call as never);
  call.emit("data", Buffer.from([1]));
  call.emit("error", new Error("reset"));
  assert.equal((await incoming.next()).value[0], 1);
  await assert.rejects(() => incoming.next(), /reset/);
});
