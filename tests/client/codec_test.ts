/**
 * The client's codecs against the server's own: a request the client
 * encodes is what the server decodes, and a response the server encodes is
 * what the client decodes, for every datatype, in JSON, binary and gRPC.
 */
import assert from "node:assert/strict";
import {
  decodeModelInferResponse,
  decodeModelMetadata,
  encodeModelInferRequest,
} from "../../src/grpc/client_messages.ts";
import { decodeModelInferRequest, encodeModelInferResponse } from "../../src/grpc/messages.ts";
import { encodeModelMetadata } from "../../src/grpc/service_messages.ts";
import {
  decodeBinaryRequest,
  decodeJsonOnly,
  encodeBinaryResponse,
} from "../../src/rest/binary.ts";
import { parseJson } from "../../src/rest/body.ts";
import { decodeRestResponse, encodeRestRequest } from "../../src/rest/client_codec.ts";
import { serverSentEvents } from "../../src/rest/client.ts";
import { encodeJsonResponse } from "../../src/protocol/json_response.ts";
import type { InferenceRequest, InferenceResponse, RequestInput } from "../../src/mod.ts";

const INPUTS: RequestInput[] = [
  { name: "f16", datatype: "FP16", shape: [2], data: new Float16Array([0.5, -2]) },
  {
    name: "f32",
    datatype: "FP32",
    shape: [1, 3],
    data: new Float32Array([1.5, Infinity, -Infinity]),
  },
  { name: "f64", datatype: "FP64", shape: [1], data: new Float64Array([Math.PI]) },
  { name: "i8", datatype: "INT8", shape: [2], data: new Int8Array([-128, 127]) },
  { name: "u16", datatype: "UINT16", shape: [1], data: new Uint16Array([65535]) },
  { name: "i32", datatype: "INT32", shape: [1], data: new Int32Array([-7]) },
  {
    name: "i64",
    datatype: "INT64",
    shape: [2],
    data: new BigInt64Array([-(2n ** 63n), 2n ** 62n + 3n]),
  },
  { name: "u64", datatype: "UINT64", shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
  { name: "b", datatype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) },
  { name: "s", datatype: "BYTES", shape: [2], data: ["é", ""] },
];
const REQUEST: InferenceRequest = {
  id: "r",
  parameters: { content_type: "np", tenant: "a" },
  inputs: INPUTS,
  outputs: [{ name: "f32", parameters: { binary_data: false } }],
};

const text = (item: unknown) =>
  typeof item === "string" ? item : new TextDecoder().decode(item as Uint8Array);
const values = (data: unknown) =>
  Array.isArray(data) ? data.map(text) : Array.from(data as ArrayLike<unknown>);

function assertSameInputs(
  actual: readonly RequestInput[],
  inputs: readonly RequestInput[] = INPUTS,
): void {
  assert.deepEqual(
    actual.map((i) => [i.name, i.datatype, i.shape]),
    inputs.map((i) => [i.name, i.datatype, i.shape]),
  );
  actual.forEach((input, index) => {
    const expected = inputs[index]!;
    assert.equal(
      Object.getPrototypeOf(input.data).constructor,
      expected.datatype === "BYTES" ? Array : Object.getPrototypeOf(expected.data).constructor,
      input.name,
    );
    assert.deepEqual(values(input.data), values(expected.data), input.name);
  });
}

Deno.test("encodeRestRequest() writes what the server's REST decoders read", async (t) => {
  await t.step("JSON", () => {
    const { body, jsonLength } = encodeRestRequest(REQUEST, false);
    assert.equal(jsonLength, undefined);
    const decoded = decodeJsonOnly(parseJson(body));
    assertSameInputs(decoded.inputs);
    assert.deepEqual([decoded.id, decoded.parameters, decoded.outputs], [
      REQUEST.id,
      REQUEST.parameters,
      REQUEST.outputs,
    ]);
  });
  await t.step("binary tensor extension", async () => {
    const { body, jsonLength } = encodeRestRequest(REQUEST, true);
    const { request } = await decodeBinaryRequest(
      body,
      String(jsonLength),
      () => Promise.resolve([]),
    );
    assertSameInputs(request.inputs);
    assert.equal(request.parameters?.binary_data_output, true);
  });
});

Deno.test("encodeModelInferRequest() writes what the server's gRPC decoder reads", async (t) => {
  for (const raw of [false, true]) {
    await t.step(raw ? "raw contents" : "typed contents (FP16 makes it raw)", () => {
      const encoded = encodeModelInferRequest(REQUEST, { name: "m", version: "2", raw });
      assert.equal(encoded.raw, true); // FP16 has no typed field
      const decoded = decodeModelInferRequest(encoded.body);
      assert.deepEqual([decoded.modelName, decoded.modelVersion, decoded.raw], ["m", "2", true]);
      assertSameInputs(decoded.request.inputs);
    });
  }
  await t.step("typed contents without FP16", () => {
    const request = { inputs: INPUTS.filter((i) => i.datatype !== "FP16") };
    const encoded = encodeModelInferRequest(request, { name: "m", raw: false });
    assert.equal(encoded.raw, false);
    const decoded = decodeModelInferRequest(encoded.body);
    assert.equal(decoded.raw, false);
    assert.deepEqual(
      decoded.request.inputs.map((i) => values(i.data)),
      request.inputs.map((i) => values(i.data)),
    );
  });
});

// JSON answers write non-finite floats as null (read back as NaN): finite ones here.
const OUTPUTS: RequestInput[] = INPUTS.map((input) =>
  input.name === "f32" ? { ...input, data: new Float32Array([1.5, 2, -3]) } : input
);
const RESPONSE: InferenceResponse = {
  model_name: "m",
  model_version: "2",
  id: "r",
  parameters: { content_type: "np" },
  outputs: OUTPUTS.map((input) => ({ ...input, parameters: { content_type: "np" } })),
};

Deno.test("decodeRestResponse() reads what the server writes", async (t) => {
  await t.step("JSON (64-bit integers exact)", () => {
    const json = encodeJsonResponse(RESPONSE);
    const decoded = decodeRestResponse(new TextEncoder().encode(json), null);
    assert.deepEqual([decoded.model_name, decoded.model_version, decoded.id], ["m", "2", "r"]);
    assertSameInputs(decoded.outputs as RequestInput[], OUTPUTS);
    assert.deepEqual(decoded.outputs[0]!.parameters, { content_type: "np" });
  });
  await t.step("binary outputs, binary_data_size dropped", () => {
    const { body, jsonLength } = encodeBinaryResponse(RESPONSE, new Set(INPUTS.map((i) => i.name)));
    const decoded = decodeRestResponse(body, String(jsonLength));
    assertSameInputs(decoded.outputs as RequestInput[], OUTPUTS);
    assert.deepEqual(decoded.outputs[1]!.parameters, { content_type: "np" });
  });
  await t.step("a malformed answer is an InferenceClientError", () => {
    assert.throws(() => decodeRestResponse(new TextEncoder().encode("{}"), null), {
      name: "InferenceClientError",
      message: /Malformed response: expected an object with model_name and outputs/,
    });
    assert.throws(() => decodeRestResponse(new TextEncoder().encode("{}"), "99"), {
      name: "InferenceClientError",
      message: /Inference-Header-Content-Length is 99/,
    });
    // A raw output of the wrong size is named as the output it is.
    const json = new TextEncoder().encode(JSON.stringify({
      model_name: "m",
      outputs: [{ name: "y", datatype: "FP32", shape: [2], parameters: { binary_data_size: 4 } }],
    }));
    const body = new Uint8Array(json.byteLength + 4);
    body.set(json);
    assert.throws(() => decodeRestResponse(body, String(json.byteLength)), {
      message: /Output 'y': raw data has 4 bytes/,
    });
  });
});

Deno.test("decodeModelInferResponse() bounds what a server's answer may make, as requests are bounded", () => {
  // 1.5 million empty outputs in 3 MB: each would be an object of its own.
  const answer = new Uint8Array(3_000_000);
  for (let i = 0; i < answer.length; i += 2) answer[i] = 0x2a; // field 5 (outputs), length 0
  assert.throws(() => decodeModelInferResponse(answer), {
    name: "RequestTooLargeError",
    message: /^Malformed response: outputs: decoding this 3000000-byte message/,
  });
});

Deno.test("decodeModelInferResponse() and decodeModelMetadata() read what the server writes", () => {
  const decoded = decodeModelInferResponse(encodeModelInferResponse(RESPONSE, true));
  assert.deepEqual([decoded.model_name, decoded.model_version, decoded.id], ["m", "2", "r"]);
  assert.deepEqual(decoded.parameters, { content_type: "np" });
  assertSameInputs(decoded.outputs as RequestInput[], OUTPUTS);
  const metadata = {
    name: "m",
    versions: ["1", "2"],
    platform: "p",
    inputs: [{
      name: "x",
      datatype: "FP32" as const,
      shape: [-1, 4],
      parameters: { content_type: "np" },
    }],
    outputs: [{ name: "y", datatype: "INT64" as const, shape: [-1] }],
    parameters: { note: "n" },
  };
  assert.deepEqual(decodeModelMetadata(encodeModelMetadata(metadata)), metadata);
});

Deno.test("serverSentEvents() splits events across chunks, CRLF and comments", async () => {
  const chunks = [
    ': keep-alive\r\n\r\ndata: {"a"',
    ":1}\r\n\r\nevent: error\ndata: x\ndata: y\n",
    "\n",
  ];
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
  const events = [];
  for await (const event of serverSentEvents(body)) events.push(event);
  assert.deepEqual(events, [{ name: "message", data: '{"a":1}' }, { name: "error", data: "x\ny" }]);
});
