import assert from "node:assert/strict";
import {
  CodecError,
  DeadlineExceededError,
  GrpcStatus,
  InferenceError,
  InvalidModelUriError,
  InvalidRequestError,
  InvalidSettingsError,
  messageOf,
  ModelNotFoundError,
  ModelNotReadyError,
  RequestTooLargeError,
  RuntimeLoadError,
  ServerError,
  statusOf,
  toErrorBody,
  toGrpcStatus,
  UnavailableError,
  UnimplementedError,
  WorkerError,
} from "../src/errors.ts";

Deno.test("ServerError subclasses declare the statuses of SPEC section 8", async (t) => {
  const table: [ServerError, number, number][] = [
    [new InvalidRequestError("x"), 400, GrpcStatus.INVALID_ARGUMENT],
    [new CodecError("x"), 400, GrpcStatus.INVALID_ARGUMENT],
    [new InferenceError("x"), 400, GrpcStatus.INVALID_ARGUMENT],
    [new ModelNotFoundError("m"), 404, GrpcStatus.NOT_FOUND],
    [new ModelNotReadyError("m"), 400, GrpcStatus.INVALID_ARGUMENT],
    [new InvalidModelUriError("m"), 422, GrpcStatus.FAILED_PRECONDITION],
    [new InvalidSettingsError("x"), 422, GrpcStatus.FAILED_PRECONDITION],
    [new UnavailableError("x"), 503, GrpcStatus.UNAVAILABLE],
    [new DeadlineExceededError("x"), 504, GrpcStatus.DEADLINE_EXCEEDED],
    [new UnimplementedError("x"), 501, GrpcStatus.UNIMPLEMENTED],
    [new RequestTooLargeError("x"), 413, GrpcStatus.RESOURCE_EXHAUSTED],
    [new RuntimeLoadError("x"), 500, GrpcStatus.INTERNAL],
    [new WorkerError("x"), 500, GrpcStatus.INTERNAL],
  ];
  for (const [err, status, code] of table) {
    await t.step(err.name, () => {
      assert.deepEqual(statusOf(err), status);
      assert.deepEqual(toGrpcStatus(err).code, code);
      assert.deepEqual(err.name.endsWith("Error"), true);
    });
  }
});

Deno.test("messageOf() keeps MLServer's messages and names other errors", () => {
  assert.deepEqual(new ModelNotFoundError("iris").message, "Model iris not found");
  assert.deepEqual(
    new ModelNotFoundError("iris", "2").message,
    "Model iris with version 2 not found",
  );
  assert.deepEqual(new ModelNotReadyError("iris").message, "Model iris is not ready yet.");
  assert.deepEqual(messageOf(new TypeError("boom")), "TypeError: boom");
  assert.deepEqual(messageOf("plain"), "Error: plain");
  assert.deepEqual(toErrorBody(new RangeError("r")), { error: "RangeError: r" });
  assert.deepEqual(statusOf(new TypeError("bug")), 500);
  assert.deepEqual(toGrpcStatus(new TypeError("bug")), {
    code: GrpcStatus.INTERNAL,
    details: "TypeError: bug",
  });
});

Deno.test("messageOf() never includes a stack trace", () => {
  const err = new Error("secret path /srv/app.ts");
  assert.deepEqual(messageOf(err).includes("    at "), false);
});
