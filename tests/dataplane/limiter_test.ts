import assert from "node:assert/strict";
import { UnavailableError } from "../../src/errors.ts";
import { ConcurrencyLimiter } from "../../src/dataplane/limiter.ts";

Deno.test("ConcurrencyLimiter runs at most `limit` at once and queues the rest in order", async () => {
  const limiter = new ConcurrencyLimiter(2, 1);
  const gates = [
    Promise.withResolvers<void>(),
    Promise.withResolvers<void>(),
    Promise.withResolvers<void>(),
  ];
  const order: number[] = [];
  let running = 0;
  let peak = 0;
  const job = (i: number) =>
    limiter.run("Model m", async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(i);
      await gates[i]!.promise;
      running--;
      return i;
    });
  const a = job(0);
  const b = job(1);
  const c = job(2); // queued
  await assert.rejects(limiter.run("Model m", () => Promise.resolve(9)), (err: unknown) => {
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.status, 503);
    assert.equal(err.message, "Model m is overloaded: 2 requests running and 1 queued");
    return true;
  });
  assert.equal(limiter.queued, 1);
  gates[0]!.resolve();
  gates[1]!.resolve();
  gates[2]!.resolve();
  assert.deepEqual(await Promise.all([a, b, c]), [0, 1, 2]);
  assert.deepEqual(order, [0, 1, 2]);
  assert.equal(peak, 2);
});

Deno.test("ConcurrencyLimiter frees the slot when work fails", async () => {
  const limiter = new ConcurrencyLimiter(1, 0);
  await assert.rejects(limiter.run("m", () => Promise.reject(new Error("x"))));
  assert.equal(await limiter.run("m", () => Promise.resolve(1)), 1);
});
