import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/args.ts";
import { parseHeaders, parseInferOptions } from "../../src/cli/infer_options.ts";

const REQUIRED = ["-m", "iris", "-i", "in.jsonl", "-o", "out.jsonl"];

Deno.test("parseInferOptions() takes MLServer's defaults", () => {
  const options = parseInferOptions(REQUIRED, {});
  assert.deepEqual(
    [options.url, options.workers, options.retries, options.batchSize, options.timeout],
    ["localhost:8080", 10, 3, 1, 60],
  );
  assert.deepEqual(
    [options.transport, options.binaryData, options.verbosity, options.headers],
    ["rest", false, 0, {}],
  );
  assert.equal(parseInferOptions([...REQUIRED, "-t", "grpc"], {}).url, "localhost:8081");
});

Deno.test("parseInferOptions() reads short and long flags, flags over MLSERVER_INFER_*", async (t) => {
  const cases: {
    name: string;
    args: string[];
    env?: Record<string, string>;
    expected: Record<string, unknown>;
  }[] = [
    {
      name: "short forms",
      args: ["-u", "h:1", "-w", "8", "-r", "5", "-s", "4", "-b", "-t", "grpc", "-v"],
      expected: {
        url: "h:1",
        workers: 8,
        retries: 5,
        batchSize: 4,
        binaryData: true,
        transport: "grpc",
        verbosity: 1,
      },
    },
    { name: "-vv", args: ["-vv"], expected: { verbosity: 2 } },
    { name: "--extra-verbose", args: ["--extra-verbose"], expected: { verbosity: 2 } },
    {
      name: "headers, repeated",
      args: ["-H", "Authorization: Bearer a:b", "-H", "X-Tag:1"],
      expected: { headers: { authorization: "Bearer a:b", "x-tag": "1" } },
    },
    {
      name: "environment",
      args: [],
      env: {
        MLSERVER_INFER_URL: "e:2",
        MLSERVER_INFER_WORKERS: "3",
        MLSERVER_INFER_BINARY_DATA: "yes",
        MLSERVER_INFER_CONNECTION_TIMEOUT: "2.5",
        MLSERVER_INFER_BATCH_INTERVAL: "0.5",
        MLSERVER_INFER_BATCH_JITTER: "0.1",
        MLSERVER_INFER_REQUEST_HEADERS: "A:1 B:2",
        MLSERVER_INFER_USE_SSL: "1",
        MLSERVER_INFER_EXTRA_VERBOSE: "true",
      },
      expected: {
        url: "e:2",
        workers: 3,
        binaryData: true,
        timeout: 2.5,
        batchInterval: 0.5,
        batchJitter: 0.1,
        headers: { a: "1", b: "2" },
        useSsl: true,
        verbosity: 2,
      },
    },
    {
      name: "a flag wins over its variable",
      args: ["-u", "flag:1", "-H", "C: 3"],
      env: { MLSERVER_INFER_URL: "env:1", MLSERVER_INFER_REQUEST_HEADERS: "A:1" },
      expected: { url: "flag:1", headers: { c: "3" } },
    },
  ];
  for (const { name, args, env, expected } of cases) {
    await t.step(name, () => {
      const options = parseInferOptions([...REQUIRED, ...args], env ?? {}) as unknown as Record<
        string,
        unknown
      >;
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(options[key], value, key);
      }
    });
  }
});

Deno.test("parseInferOptions() refuses bad values with a usage error naming them", async (t) => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; message: RegExp }[] = [
    {
      name: "no model",
      args: ["-i", "a", "-o", "b"],
      message: /--model-name .*MLSERVER_INFER_MODEL_NAME/,
    },
    {
      name: "bad transport",
      args: [...REQUIRED, "-t", "http"],
      message: /--transport must be rest or grpc/,
    },
    {
      name: "bad workers",
      args: [...REQUIRED, "-w", "two"],
      message: /--workers must be a whole number/,
    },
    {
      name: "bad boolean variable",
      args: REQUIRED,
      env: { MLSERVER_INFER_BINARY_DATA: "maybe" },
      message: /MLSERVER_INFER_BINARY_DATA must be a boolean/,
    },
    {
      name: "insecure on REST",
      args: [...REQUIRED, "--insecure"],
      message: /--insecure works with --transport grpc/,
    },
    {
      name: "header without colon",
      args: [...REQUIRED, "-H", "nocolon"],
      message: /expected 'Name: Value'/,
    },
  ];
  for (const { name, args, env, message } of cases) {
    await t.step(name, () => {
      assert.throws(() => parseInferOptions(args, env ?? {}), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

Deno.test("parseHeaders() splits at the first colon and trims both sides", () => {
  assert.deepEqual(parseHeaders(["X-A:  1 ", "Host: a:8080"]), { "x-a": "1", host: "a:8080" });
});
