/**
 * INT64 and UINT64 over JSON REST, exact at every extreme, as Triton's
 * Python client sends them (plain JSON numbers from `json.dumps`): through
 * `fetch` with the client's exact text, and through a Python client using
 * only its standard library (whose integers are exact), when python3 is
 * installed.
 */
import assert from "node:assert/strict";
import { startServer, withTmpDir } from "../_helpers.ts";
import { hostileModels } from "./_hostile.ts";

const INT64 = [
  -(2n ** 63n),
  2n ** 63n - 1n,
  2n ** 53n + 1n,
  -(2n ** 53n + 1n),
  0n,
  -1n,
  2n ** 53n,
];
const UINT64 = [2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 0n, 2n ** 53n - 1n];

/** The request as Triton's client writes it: `json.dumps` of the tensors (spaces after separators). */
function tritonBody(): string {
  const tensor = (name: string, datatype: string, values: bigint[]) =>
    `{"name": "${name}", "shape": [${values.length}], "datatype": "${datatype}", ` +
    `"data": [${values.join(", ")}]}`;
  return `{"inputs": [${tensor("i", "INT64", INT64)}, ${tensor("u", "UINT64", UINT64)}]}`;
}

/** `JSON.parse` keeping every integer exact, as an exact client reads the answer. */
function parseExact(text: string): { outputs: { name: string; data: bigint[] }[] } {
  return JSON.parse(
    text,
    (_key, value, context?: { source?: string }) =>
      typeof value === "number" && /^-?\d+$/.test(context?.source ?? "")
        ? BigInt(context!.source!)
        : value,
  );
}

const PYTHON = "/usr/bin/python3";
const hasPython = await Deno.stat(PYTHON).then(() => true, () => false);

/** A Python client (standard library only) that sends the extremes and checks the echo exactly. */
const PYTHON_CLIENT = `
import json, sys, urllib.request
ints = [-2**63, 2**63 - 1, 2**53 + 1, -(2**53 + 1), 0, -1, 2**53]
uints = [2**64 - 1, 2**63, 2**53 + 1, 0, 2**53 - 1]
body = {"inputs": [
    {"name": "i", "shape": [len(ints)], "datatype": "INT64", "data": ints},
    {"name": "u", "shape": [len(uints)], "datatype": "UINT64", "data": uints},
]}
request = urllib.request.Request(sys.argv[1], data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
answer = json.loads(urllib.request.urlopen(request).read())
got = {o["name"]: o["data"] for o in answer["outputs"]}
assert got["i"] == ints, got["i"]
assert got["u"] == uints, got["u"]
assert all(type(v) is int for v in got["i"] + got["u"])
refused = {"inputs": [{"name": "i", "shape": [1], "datatype": "INT64", "data": [2**63]}]}
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=json.dumps(refused).encode()))
    raise SystemExit("2**63 was accepted as INT64")
except urllib.error.HTTPError as err:
    assert err.code == 400, err.code
    assert "out of range for INT64" in json.loads(err.read())["error"]
print("exact")
`;

Deno.test("INT64 and UINT64 extremes round-trip exactly over JSON REST", async (t) => {
  await using dir = await withTmpDir();
  await hostileModels(dir.path);
  await using srv = await startServer(dir.path);
  const url = `${srv.url}/v2/models/echo/infer`;

  await t.step("fetch with Triton's text: the echo is exact", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: tritonBody(),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const outputs = parseExact(text).outputs;
    assert.deepEqual(outputs.map((o) => o.name), ["i", "u"]);
    assert.deepEqual(outputs[0]!.data, INT64);
    assert.deepEqual(outputs[1]!.data, UINT64);
    // Written as plain JSON numbers, as MLServer writes them.
    assert.match(text, /"data":\[-9223372036854775808,9223372036854775807,9007199254740993,/);
  });

  await t.step("the binary extension's JSON part reads them exactly too", async () => {
    const head = new TextEncoder().encode(tritonBody());
    const response = await fetch(url, {
      method: "POST",
      headers: { "inference-header-content-length": String(head.byteLength) },
      body: head,
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(parseExact(text).outputs[1]!.data, UINT64);
  });

  await t.step({
    name: "a Python client's integers come back exactly",
    ignore: !hasPython,
    fn: async () => {
      const { code, stdout, stderr } = await new Deno.Command(PYTHON, {
        args: ["-c", PYTHON_CLIENT, url],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(stdout).trim();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      assert.equal(out, "exact");
    },
  });
});
