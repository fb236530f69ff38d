/**
 * One call's scope: the lazy signal, the race against the timeout and the
 * shutdown, and the one shutdown listener that ends every running call.
 */
import assert from "node:assert/strict";
import { CallScope, RunningCalls } from "../../src/dataplane/call.ts";
import { CancelledError, DeadlineExceededError, UnavailableError } from "../../src/errors.ts";

const forever = (): Promise<never> => new Promise<never>(() => {});

Deno.test("CallScope: the shutdown ends every running call's race and aborts signals already read", async () => {
  const stopping = new AbortController();
  const running = new RunningCalls(stopping.signal);
  const read = new CallScope(undefined, 30, "m", running);
  const unread = new CallScope(undefined, null, "m", running);
  const signal = read.signal;
  const races = [read.race(forever()), unread.race(forever())];
  const reason = new UnavailableError("Server is shutting down");
  stopping.abort(reason);
  for (const race of races) await assert.rejects(race, (err) => err === reason);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
  assert.equal(unread.signal.aborted, true, "a signal read after the shutdown is aborted too");
  read.clear();
  unread.clear();
  const late = new CallScope(undefined, null, "m", running);
  await assert.rejects(late.race(Promise.resolve(1)), (err) => err === reason);
});

Deno.test("CallScope: inference_timeout rejects the race whether or not the signal was read", async () => {
  const running = new RunningCalls();
  for (const readSignal of [false, true]) {
    const scope = new CallScope(undefined, 0.01, "slow", running);
    const signal = readSignal ? scope.signal : undefined;
    await assert.rejects(
      scope.race(forever()),
      (err) => err instanceof DeadlineExceededError && err.message.includes("slow"),
    );
    assert.equal(signal?.aborted ?? true, true);
    assert.ok(scope.aborted instanceof DeadlineExceededError);
    scope.clear();
  }
});

Deno.test("CallScope: the client's cancellation is made only when the signal is read", async () => {
  const running = new RunningCalls(new AbortController().signal);
  let made = 0;
  const client = new AbortController();
  const scope = new CallScope(
    () => {
      made++;
      return client.signal;
    },
    null,
    "m",
    running,
  );
  assert.equal(await scope.race(Promise.resolve("answer")), "answer");
  assert.equal(made, 0);
  const signal = scope.signal;
  assert.equal(scope.signal, signal, "one signal per call");
  assert.equal(made, 1);
  client.abort();
  // A model that stops on the client's abort fails as a cancellation, not as a fault.
  await assert.rejects(
    scope.race(Promise.reject(new Error("model noticed"))),
    (err) => err instanceof CancelledError,
  );
  scope.clear();
});

Deno.test("CallScope: a model's own failure passes through unchanged", async () => {
  const scope = new CallScope(undefined, 5, "m", new RunningCalls());
  const failure = new Error("bad row");
  await assert.rejects(scope.race(Promise.reject(failure)), (err) => err === failure);
  assert.equal(scope.aborted, undefined);
  scope.clear();
});

Deno.test("RunningCalls: calls that finished are no longer ended by the shutdown", async () => {
  const stopping = new AbortController();
  const running = new RunningCalls(stopping.signal);
  const scopes = Array.from({ length: 4 }, () => new CallScope(undefined, null, "m", running));
  const races = scopes.map((scope) => scope.race(forever()).catch((err) => err));
  // Finish the newest, the oldest and one in the middle: the list must stay whole.
  for (const i of [3, 0, 1]) scopes[i]!.clear();
  stopping.abort(new UnavailableError("stopping"));
  assert.ok((await races[2]) instanceof UnavailableError);
  assert.equal(scopes[0]!.aborted, undefined);
  assert.equal(scopes[1]!.aborted, undefined);
  assert.equal(scopes[3]!.aborted, undefined);
  assert.ok(scopes[2]!.aborted instanceof UnavailableError);
});
