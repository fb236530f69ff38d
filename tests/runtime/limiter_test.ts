import assert from "node:assert/strict";
import { UnavailableError } from "../../src/errors.ts";
import { ConcurrencyLimiter } from "../../src/runtime/limiter.ts";

Deno.test("ConcurrencyLimiter admits `limit` at once, queues the rest in order, refuses past the queue", async () => {
  const limiter = new ConcurrencyLimiter(2, 2);
  assert.equal(limiter.acquire("Model m"), undefined, "first slot free");
  assert.equal(limiter.acquire("Model m"), undefined, "second slot free");
  const order: string[] = [];
  const third = limiter.acquire("Model m")!.then(() => order.push("third"));
  const fourth = limiter.acquire("Model m")!.then(() => order.push("fourth"));
  assert.equal(limiter.queued, 2);
  assert.throws(() => limiter.acquire("Model m"), (err: unknown) => {
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.status, 503);
    assert.equal(err.message, "Model m is overloaded: 2 requests running and 2 queued");
    return true;
  });
  limiter.release(); // hands the slot to the first waiter
  await third;
  assert.deepEqual(order, ["third"]);
  limiter.release();
  await fourth;
  assert.deepEqual(order, ["third", "fourth"]);
  assert.equal(limiter.queued, 0);
  // Two still hold slots; once both release, a new caller gets one at once.
  limiter.release();
  limiter.release();
  assert.equal(limiter.acquire("Model m"), undefined);
});

Deno.test("ConcurrencyLimiter: an aborted waiter leaves the queue and never takes a slot", async () => {
  const limiter = new ConcurrencyLimiter(1, 5);
  assert.equal(limiter.acquire("m"), undefined);
  const controller = new AbortController();
  const gaveUp = limiter.acquire("m", controller.signal)!;
  const next = limiter.acquire("m")!;
  assert.equal(limiter.queued, 2);
  controller.abort(new Error("deadline"));
  await assert.rejects(gaveUp, /deadline/);
  assert.equal(limiter.queued, 1);
  let admitted = false;
  next.then(() => admitted = true);
  limiter.release(); // goes to `next`, not to the one that left
  await next;
  assert.equal(admitted, true);
  limiter.release();
  assert.equal(limiter.acquire("m"), undefined, "the slot is free again: nothing leaked");
});
