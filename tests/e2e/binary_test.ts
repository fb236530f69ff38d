/**
 * Triton's binary tensor data extension on REST, end to end.
 */
import assert from "node:assert/strict";
import {
  type Json,
  postJson,
  repoPath,
  RUNTIMES,
  startServer,
  withTmpDir,
  writeModel,
} from "../_helpers.ts";

const utf8 = new TextEncoder();

/** A request body: the JSON part, then the binary chunks. */
function binaryBody(
  header: unknown,
  chunks: ArrayBufferView[],
): { body: Uint8Array<ArrayBuffer>; jsonLength: number } {
  const json = utf8.encode(JSON.stringify(header));
  const parts = [json, ...chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength))];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return { body, jsonLength: json.byteLength };
}

/** Sends a binary request; parses a binary (or JSON) answer. */
async function postBinary(
  url: string,
  body: Uint8Array<ArrayBuffer>,
  headerLength: number | string,
) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "inference-header-content-length": String(headerLength),
      "content-type": "application/octet-stream",
    },
    body,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const jsonLength = Number(
    response.headers.get("inference-header-content-length") ?? bytes.byteLength,
  );
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(0, jsonLength)));
  const chunks: Record<string, Uint8Array> = {};
  let offset = jsonLength;
  for (const output of json.outputs ?? []) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    chunks[output.name] = bytes.slice(offset, offset + size);
    offset += size;
  }
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    json,
    chunks,
    total: bytes.byteLength,
    offset,
  };
}

function lengthPrefixed(items: string[]): Uint8Array {
  const encoded = items.map((s) => utf8.encode(s));
  const out = new Uint8Array(encoded.reduce((n, e) => n + 4 + e.byteLength, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of encoded) {
    view.setUint32(at, e.byteLength, true);
    out.set(e, at + 4);
    at += 4 + e.byteLength;
  }
  return out;
}

Deno.test("binary tensor data extension on REST", async (t) => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
  await writeModel(dir.path, "iris", {
    implementation: `${repoPath("examples/models/iris/custom_model.ts")}:CustomMLModel`,
    parameters: { uri: repoPath("examples/models/iris") },
    inputs: [{ name: "input-0", datatype: "FP32", shape: [-1, 4] }],
  });
  await writeModel(dir.path, "text-in", {
    implementation: RUNTIMES.echo,
    inputs: [{ name: "doc", datatype: "BYTES", shape: [1] }],
  });
  await writeModel(dir.path, "two-free", {
    implementation: RUNTIMES.echo,
    inputs: [{ name: "m", datatype: "INT32", shape: [-1, -1] }],
  });
  await using srv = await startServer(dir.path);
  const echo = `${srv.url}/v2/models/echo/infer`;

  await t.step("server metadata advertises binary_tensor_data", async () => {
    const body = await (await fetch(`${srv.url}/v2`)).json();
    assert.ok(body.extensions.includes("binary_tensor_data"));
  });

  const million = Float32Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i) * 1e3);

  await t.step("1x1,000,000 FP32 in binary gets a correct binary answer", async () => {
    const { body, jsonLength } = binaryBody(
      {
        parameters: { binary_data_output: true },
        inputs: [{
          name: "x",
          datatype: "FP32",
          shape: [1, 1_000_000],
          parameters: { binary_data_size: 4_000_000 },
        }],
      },
      [million],
    );
    const answer = await postBinary(echo, body, jsonLength);
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, "application/octet-stream");
    const output = answer.json.outputs[0];
    assert.equal(output.data, undefined);
    assert.equal(output.parameters.binary_data_size, 4_000_000);
    assert.deepEqual(output.shape, [1, 1_000_000]);
    assert.deepEqual(new Float32Array(answer.chunks.x!.buffer), million);
    assert.equal(answer.offset, answer.total, "nothing after the announced chunks");
  });

  await t.step("the same tensor in JSON gets a correct JSON answer", async () => {
    const { status, body } = await postJson(echo, {
      inputs: [{ name: "x", datatype: "FP32", shape: [1, 1_000_000], data: Array.from(million) }],
    });
    assert.equal(status, 200);
    assert.equal(body.outputs[0].data.length, 1_000_000);
    assert.ok(body.outputs[0].data.every((v: number, i: number) => v === million[i]));
  });

  await t.step("binary and JSON inputs and outputs mix in one request", async () => {
    const ints = new BigInt64Array([9007199254740993n, -9223372036854775808n]);
    const bytes = lengthPrefixed(["héllo", ""]);
    const { body, jsonLength } = binaryBody(
      {
        id: "mixed",
        inputs: [
          {
            name: "a",
            datatype: "INT64",
            shape: [2],
            parameters: { binary_data_size: ints.byteLength },
          },
          { name: "b", datatype: "FP64", shape: [2], data: [0.5, null] },
          {
            name: "c",
            datatype: "BYTES",
            shape: [2],
            parameters: { binary_data_size: bytes.byteLength },
          },
          { name: "d", datatype: "BOOL", shape: [2], data: [true, false] },
        ],
        outputs: [
          { name: "a", parameters: { binary_data: true } },
          { name: "b", parameters: { binary_data: true } },
          { name: "c" },
          { name: "d", parameters: { binary_data: false } },
        ],
      },
      [ints, bytes],
    );
    const answer = await postBinary(echo, body, jsonLength);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.json.id, "mixed");
    const outputs = Object.fromEntries(answer.json.outputs.map((o: Json) => [o.name, o]));
    assert.deepEqual(
      new BigInt64Array(answer.chunks.a!.buffer),
      ints,
      "INT64 beyond 2^53 exact through binary",
    );
    assert.deepEqual(
      new Float64Array(answer.chunks.b!.buffer),
      new Float64Array([0.5, NaN]),
      "NaN survives binary",
    );
    assert.deepEqual(outputs.c.data, ["héllo", ""], "binary BYTES in, JSON out");
    assert.deepEqual(outputs.d.data, [true, false]);
    assert.equal(outputs.d.parameters?.binary_data_size, undefined);
  });

  await t.step("binary_data_output with a per-output false", async () => {
    const { body, jsonLength } = binaryBody(
      {
        parameters: { binary_data_output: true },
        inputs: [{ name: "a", datatype: "INT8", shape: [1], data: [1] }, {
          name: "b",
          datatype: "INT8",
          shape: [1],
          data: [2],
        }],
        outputs: [{ name: "b", parameters: { binary_data: false } }],
      },
      [],
    );
    const answer = await postBinary(echo, body, jsonLength);
    assert.deepEqual(Object.keys(answer.chunks), ["a"]);
    assert.deepEqual(answer.json.outputs[1].data, [2]);
  });

  await t.step("a JSON request can ask for binary outputs without the header", async () => {
    const response = await fetch(echo, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "x", datatype: "UINT16", shape: [2], data: [1, 65535] }],
        outputs: [{ name: "x", parameters: { binary_data: true } }],
      }),
    });
    const length = Number(response.headers.get("inference-header-content-length"));
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.deepEqual([...new Uint16Array(bytes.slice(length).buffer)], [1, 65535]);
  });

  await t.step("the raw form (header length 0) for a single-input model", async () => {
    const rows = new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]);
    const answer = await postBinary(
      `${srv.url}/v2/models/iris/infer`,
      new Uint8Array(rows.buffer),
      0,
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.deepEqual(answer.json.outputs.map((o: Json) => o.shape), [[2, 1], [2, 3]]);
    assert.deepEqual([...new BigInt64Array(answer.chunks.predict!.buffer)], [0n, 2n]);
  });

  await t.step("the raw form for a BYTES input: the whole body is the one element", async () => {
    const text = utf8.encode("a whole document");
    const answer = await postBinary(`${srv.url}/v2/models/text-in/infer`, text, 0);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.deepEqual(answer.json.outputs[0].shape, [1]);
    // Raw-form answers come back raw: one length-prefixed element.
    assert.deepEqual([...answer.chunks.doc!], [...lengthPrefixed(["a whole document"])]);
  });

  await t.step("binary answers are gzip-compressed for clients that accept it", async () => {
    const { body, jsonLength } = binaryBody({
      parameters: { binary_data_output: true },
      inputs: [{
        name: "x",
        datatype: "FP32",
        shape: [4096],
        parameters: { binary_data_size: 4096 * 4 },
      }],
    }, [new Float32Array(4096).fill(0.25)]);
    const response = await fetch(echo, {
      method: "POST",
      headers: {
        "inference-header-content-length": String(jsonLength),
        "accept-encoding": "gzip",
      },
      body,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-encoding"), "gzip");
    // fetch decompresses: the binary layout must survive intact.
    const bytes = new Uint8Array(await response.arrayBuffer());
    const length = Number(response.headers.get("inference-header-content-length"));
    assert.equal(bytes.byteLength, length + 4096 * 4);
    assert.ok(new Float32Array(bytes.slice(length).buffer).every((v) => v === 0.25));
  });

  const malformed: {
    name: string;
    url?: string;
    body: () => { body: Uint8Array<ArrayBuffer>; jsonLength: number | string };
    message: RegExp;
  }[] = [
    {
      name: "header length beyond the body",
      body: () => ({ body: utf8.encode("{}"), jsonLength: 10 }),
      message: /Inference-Header-Content-Length is 10 but the body has only 2 bytes/,
    },
    {
      name: "header length not a number",
      body: () => ({ body: utf8.encode("{}"), jsonLength: "abc" }),
      message: /Invalid Inference-Header-Content-Length "abc"/,
    },
    {
      name: "sizes that claim more than the body",
      body: () =>
        binaryBody({
          inputs: [{
            name: "x",
            datatype: "FP32",
            shape: [2],
            parameters: { binary_data_size: 8 },
          }],
        }, [new Float32Array(1)]),
      message: /Input 'x' claims 8 bytes of binary data, only 4 remain/,
    },
    {
      name: "bytes left over",
      body: () =>
        binaryBody({
          inputs: [{
            name: "x",
            datatype: "FP32",
            shape: [1],
            parameters: { binary_data_size: 4 },
          }],
        }, [new Float32Array(3)]),
      message: /has 12 bytes after the JSON header but the inputs' binary_data_size add up to 4/,
    },
    {
      name: "size that does not match the shape",
      body: () =>
        binaryBody({
          inputs: [{
            name: "x",
            datatype: "FP32",
            shape: [3],
            parameters: { binary_data_size: 8 },
          }],
        }, [new Float32Array(2)]),
      message: /Input 'x': raw data has 8 bytes, shape \[3\] of FP32 needs 12/,
    },
    {
      name: "BYTES length running past the end",
      body: () =>
        binaryBody({
          inputs: [{
            name: "s",
            datatype: "BYTES",
            shape: [1],
            parameters: { binary_data_size: 6 },
          }],
        }, [new Uint8Array([200, 0, 0, 0, 65, 66])]),
      message: /Input 's': raw BYTES element 0 claims 200 bytes, only 2 remain/,
    },
    {
      name: "both data and binary_data_size",
      body: () =>
        binaryBody({
          inputs: [{
            name: "x",
            datatype: "INT8",
            shape: [1],
            data: [1],
            parameters: { binary_data_size: 1 },
          }],
        }, [new Int8Array(1)]),
      message: /Input 'x' has both data and parameters.binary_data_size/,
    },
    {
      name: "negative binary_data_size",
      body: () =>
        binaryBody({
          inputs: [{
            name: "x",
            datatype: "INT8",
            shape: [1],
            parameters: { binary_data_size: -1 },
          }],
        }, []),
      message: /binary_data_size must be a non-negative integer, got -1/,
    },
    {
      name: "malformed JSON part",
      body: () => ({ body: utf8.encode("{nope"), jsonLength: 5 }),
      message: /^Invalid JSON: /,
    },
    {
      name: "raw form on a model without input metadata",
      body: () => ({ body: new Uint8Array(4), jsonLength: 0 }),
      message: /needs a model with exactly one input in its metadata, this one has 0/,
    },
    {
      name: "a BOOL byte that is neither 0 nor 1",
      body: () =>
        binaryBody({
          inputs: [{
            name: "b",
            datatype: "BOOL",
            shape: [2],
            parameters: { binary_data_size: 2 },
          }],
        }, [new Uint8Array([1, 2])]),
      message: /Input 'b': BOOL element 1 is 2, expected 0 or 1/,
    },
    {
      name: "a BYTES length prefix cut short",
      body: () =>
        binaryBody({
          inputs: [{
            name: "s",
            datatype: "BYTES",
            shape: [1],
            parameters: { binary_data_size: 2 },
          }],
        }, [new Uint8Array([1, 0])]),
      message: /Input 's': raw BYTES element 0 has a truncated length prefix/,
    },
    {
      name: "more BYTES elements than the shape holds",
      body: () =>
        binaryBody({
          inputs: [{
            name: "s",
            datatype: "BYTES",
            shape: [1],
            parameters: { binary_data_size: 10 },
          }],
        }, [lengthPrefixed(["a", "b"])]),
      message: /Input 's': raw BYTES data has more than the 1 elements shape \[1\] holds/,
    },
    {
      name: "raw form for an input with two variable dimensions",
      url: "two-free",
      body: () => ({ body: new Uint8Array(16), jsonLength: 0 }),
      message: /at most one variable dimension, 'm' has shape \[-1,-1\]/,
    },
    {
      name: "raw form that does not fill the shape",
      url: "iris",
      body: () => ({ body: new Uint8Array(20), jsonLength: 0 }),
      message: /Input 'input-0': a raw body of 20 bytes does not fill shape \[-1,4\] of FP32/,
    },
  ];
  for (const c of malformed) {
    await t.step(`400 for ${c.name}`, async () => {
      const { body, jsonLength } = c.body();
      const answer = await postBinary(
        `${srv.url}/v2/models/${c.url ?? "echo"}/infer`,
        body,
        jsonLength,
      );
      assert.equal(answer.status, 400);
      assert.match(answer.json.error, c.message);
    });
  }

  await t.step("binary inputs without the header are refused", async () => {
    const { status, body } = await postJson(echo, {
      inputs: [{ name: "x", datatype: "FP32", shape: [1], parameters: { binary_data_size: 4 } }],
    });
    assert.equal(status, 400);
    assert.equal(
      body.error,
      "Input 'x' has parameters.binary_data_size but the request has no Inference-Header-Content-Length header",
    );
  });
});
