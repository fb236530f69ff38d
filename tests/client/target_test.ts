import assert from "node:assert/strict";
import { parseTarget } from "../../src/client/target.ts";

Deno.test("parseTarget() reads every url form the client takes", async (t) => {
  const cases: {
    url: string;
    options?: Parameters<typeof parseTarget>[1];
    expected: ReturnType<typeof parseTarget>;
  }[] = [
    { url: "http://h:8080", expected: { transport: "rest", ssl: false, base: "http://h:8080" } },
    { url: "https://h/", expected: { transport: "rest", ssl: true, base: "https://h" } },
    {
      url: "https://h:1/prefix/",
      expected: { transport: "rest", ssl: true, base: "https://h:1/prefix" },
    },
    { url: "grpc://h:8081", expected: { transport: "grpc", ssl: false, base: "h:8081" } },
    { url: "grpcs://h:443", expected: { transport: "grpc", ssl: true, base: "h:443" } },
    {
      url: "localhost:8080",
      expected: { transport: "rest", ssl: false, base: "http://localhost:8080" },
    },
    {
      url: "localhost:8081",
      options: { transport: "grpc", ssl: true },
      expected: { transport: "grpc", ssl: true, base: "localhost:8081" },
    },
    { url: "[::1]:9", expected: { transport: "rest", ssl: false, base: "http://[::1]:9" } },
  ];
  for (const { url, options, expected } of cases) {
    await t.step(url, () => assert.deepEqual(parseTarget(url, options), expected));
  }
});

Deno.test("parseTarget() refuses what is not a server address", async (t) => {
  const cases: { url: string; options?: Parameters<typeof parseTarget>[1]; message: RegExp }[] = [
    { url: "ftp://h:1", message: /scheme must be http, https, grpc or grpcs/ },
    { url: "grpc://h:1", options: { transport: "rest" }, message: /with the rest transport/ },
    { url: "grpc://h:1/x", message: /a gRPC address has no path/ },
    { url: "h:1/x", message: /expected host:port or a url/ },
  ];
  for (const { url, options, message } of cases) {
    await t.step(
      url,
      () => assert.throws(() => parseTarget(url, options), { name: "TypeError", message }),
    );
  }
});
