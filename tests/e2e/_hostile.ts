/**
 * Shared parts of the hostile-input suite: the models folder, the checks
 * every refused request must pass (a bounded `{"error"}` body with no stack
 * trace or path, and a server that still answers), raw HTTP over a socket
 * for requests `fetch` will not send, and a small protobuf writer for
 * messages grpc-js clients will not build.
 *
 * @module
 */

import assert from "node:assert/strict";
import { call, inferenceClient } from "../_grpc.ts";
import { repoPath, RUNTIMES, writeModel } from "../_helpers.ts";

/** Longest error message a refused request may carry. */
export const MAX_ERROR_LENGTH = 4096;

/** The request limit the suite runs with (the issue's: 8 MiB). */
export const MAX_REQUEST_SIZE = 8 * 1024 * 1024;

/**
 * Models: echo (no metadata), echo with one declared FP32 or BYTES input
 * (raw form), and a streamer (one INT32 token per input value).
 */
export async function hostileModels(root: string): Promise<void> {
  await writeModel(root, "echo", { implementation: RUNTIMES.echo });
  await writeModel(root, "streamer", { implementation: RUNTIMES.behaviours("Streamer") });
  await writeModel(root, "echo-fp32", {
    name: "echo-fp32",
    implementation: RUNTIMES.echo,
    inputs: [{ name: "x", datatype: "FP32", shape: [-1, 2] }],
  });
  await writeModel(root, "echo-bytes", {
    name: "echo-bytes",
    implementation: RUNTIMES.echo,
    inputs: [{ name: "s", datatype: "BYTES", shape: [1] }],
  });
}

/** Things an error message must never show: stack frames, source paths, internals. */
const LEAKS: readonly [string, RegExp][] = [
  ["a stack frame", /\n\s*at |\bat .*:\d+:\d+/],
  ["a file URL", /file:\/\//],
  ["the repository path", new RegExp(escape(repoPath("").replace(/\/$/, "")))],
  ["a source file", /\.ts\b|\.js:\d/],
  ["node internals", /node:internal|ext:deno|ext:core/],
];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Asserts an error message is short and shows nothing of the server's insides. */
export function assertCleanMessage(message: string, what: string): void {
  assert.ok(message.length > 0, `${what}: empty error message`);
  assert.ok(
    message.length <= MAX_ERROR_LENGTH,
    `${what}: error message of ${message.length} characters`,
  );
  for (const [leak, pattern] of LEAKS) {
    assert.doesNotMatch(message, pattern, `${what}: the message shows ${leak}: ${message}`);
  }
}

/** Asserts a REST error body: JSON with only `error`, clean and bounded. */
export function assertErrorBody(text: string, what: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${what}: the error body is not JSON: ${text.slice(0, 200)}`);
  }
  assert.ok(typeof body === "object" && body !== null, `${what}: ${text.slice(0, 200)}`);
  assert.deepEqual(Object.keys(body), ["error"], `${what}: ${text.slice(0, 200)}`);
  const message = (body as { error: unknown }).error;
  assert.equal(typeof message, "string", what);
  assertCleanMessage(message as string, what);
  return message as string;
}

/** Asserts the server still answers on both transports. */
export async function assertAlive(url: string, grpcPort: number, what: string): Promise<void> {
  const response = await fetch(`${url}/v2/health/live`);
  await response.body?.cancel();
  assert.equal(response.status, 200, `${what}: REST live afterwards`);
  const client = inferenceClient(grpcPort);
  try {
    const { response: live, error } = await call(client, "ServerLive", {});
    assert.equal(error, undefined, `${what}: gRPC ServerLive afterwards`);
    assert.equal(live.live, true, `${what}: gRPC live afterwards`);
  } finally {
    client.close();
  }
}

/** A parsed HTTP/1.1 response, or `closed` when the server closed without one. */
export type RawResponse =
  | { kind: "response"; status: number; headers: Headers; body: string }
  | { kind: "closed" };

/**
 * Sends bytes over a fresh TCP connection and reads one response (by its
 * Content-Length, or to the end of the stream).
 *
 * @param halfClose shut the sending side after writing, as a client that gives up does
 */
export async function rawHttp(
  port: number,
  request: string | Uint8Array,
  options: { halfClose?: boolean } = {},
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = typeof request === "string" ? new TextEncoder().encode(request) : request;
    try {
      await writeAll(conn, bytes);
    } catch {
      // The server may answer (and close) before reading everything.
    }
    if (options.halfClose) await conn.closeWrite().catch(() => {});
    return await readResponse(conn);
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await conn.write(bytes.subarray(offset));
}

const latin1 = new TextDecoder("latin1");

async function readResponse(conn: Deno.Conn): Promise<RawResponse> {
  let received = new Uint8Array(0);
  const buffer = new Uint8Array(64 * 1024);
  let headEnd = -1;
  let head: { status: number; headers: Headers; length: number | undefined } | undefined;
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch {
      n = null; // reset by peer
    }
    if (n !== null) {
      const grown = new Uint8Array(received.byteLength + n);
      grown.set(received);
      grown.set(buffer.subarray(0, n), received.byteLength);
      received = grown;
    }
    if (head === undefined) {
      headEnd = latin1.decode(received).indexOf("\r\n\r\n");
      if (headEnd >= 0) head = parseHead(latin1.decode(received.subarray(0, headEnd)));
    }
    if (head !== undefined) {
      const bodyBytes = received.byteLength - headEnd - 4;
      if ((head.length !== undefined && bodyBytes >= head.length) || n === null) {
        const end = head.length === undefined ? received.byteLength : headEnd + 4 + head.length;
        const body = new TextDecoder().decode(received.subarray(headEnd + 4, end));
        return { kind: "response", status: head.status, headers: head.headers, body };
      }
    }
    if (n === null) return { kind: "closed" };
  }
}

function parseHead(text: string): { status: number; headers: Headers; length: number | undefined } {
  const [statusLine = "", ...lines] = text.split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const length = headers.get("content-length");
  return { status, headers, length: length === null ? undefined : Number(length) };
}

/**
 * A protobuf writer for hand-made messages (independent of the server's own
 * encoder): fields are byte arrays concatenated in order.
 */
export const pb = {
  varint(value: number | bigint): number[] {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return out;
  },
  tag(field: number, wireType: number): number[] {
    return pb.varint((field << 3) | wireType);
  },
  len(field: number, payload: ArrayLike<number>): number[] {
    return [...pb.tag(field, 2), ...pb.varint(payload.length), ...Array.from(payload)];
  },
  text(field: number, value: string): number[] {
    return pb.len(field, new TextEncoder().encode(value));
  },
  /** A varint field. */
  int(field: number, value: number | bigint): number[] {
    return [...pb.tag(field, 0), ...pb.varint(value)];
  },
};

/**
 * One ModelInferRequest input, hand-made: name, datatype, packed shape and
 * the given contents message bytes (omitted when undefined).
 */
export function pbInput(
  name: string,
  datatype: string,
  shape: readonly (number | bigint)[],
  contents?: ArrayLike<number>,
): number[] {
  const dims = shape.flatMap((d) => pb.varint(d));
  return pb.len(5, [
    ...pb.text(1, name),
    ...pb.text(2, datatype),
    ...(shape.length > 0 ? pb.len(3, dims) : []),
    ...(contents === undefined ? [] : pb.len(5, contents)),
  ]);
}

/** A whole ModelInferRequest for `model` with the given field bytes after its name. */
export function pbRequest(model: string, ...fields: ArrayLike<number>[]): Uint8Array {
  return new Uint8Array([...pb.text(1, model), ...fields.flatMap((f) => Array.from(f))]);
}

/** One REST request of a table, sent with `fetch`. */
export interface FetchCase {
  name: string;
  /** Default POST. */
  method?: string;
  /** Default `/v2/models/echo/infer`. */
  path?: string;
  headers?: Record<string, string>;
  /** A string or bytes, or a function building it (big bodies are built when run). */
  body?: string | Uint8Array<ArrayBuffer> | (() => string | Uint8Array<ArrayBuffer>);
  status: number;
  /** What the error message must say (errors only). */
  error?: RegExp;
  /** Further checks of the body text. */
  check?: (text: string) => void;
}

/**
 * Runs one case: the status, then for an error a bounded, clean `{"error"}`
 * body matching `error`; never a 5xx; then the server must still answer.
 */
export async function runFetchCase(url: string, c: FetchCase): Promise<void> {
  const body = typeof c.body === "function" ? c.body() : c.body;
  const method = c.method ?? "POST";
  const response = await fetch(`${url}${c.path ?? "/v2/models/echo/infer"}`, {
    method,
    headers: c.headers ?? {},
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  assert.ok(response.status < 500, `${c.name}: ${response.status} ${text.slice(0, 300)}`);
  assert.equal(response.status, c.status, `${c.name}: ${text.slice(0, 300)}`);
  if (response.status >= 400 && method !== "HEAD") {
    const message = assertErrorBody(text, c.name);
    if (c.error !== undefined) assert.match(message, c.error, `${c.name}: ${message}`);
  } else if (c.error !== undefined) {
    assert.fail(`${c.name}: expected an error body matching ${c.error}, got ${text.slice(0, 200)}`);
  }
  c.check?.(text);
  const live = await fetch(`${url}/v2/health/live`);
  await live.body?.cancel();
  assert.equal(live.status, 200, `${c.name}: the server answers afterwards`);
}

/** A JSON inference body. */
export function inferBody(inputs: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ inputs, ...extra });
}

/** One input in JSON form. */
export function input(
  datatype: string,
  shape: unknown,
  data: unknown,
  name = "x",
): Record<string, unknown> {
  return { name, datatype, shape, data };
}

/** `depth` nested lists around `inner`, as JSON text. */
export function nested(depth: number, inner = "1"): string {
  return "[".repeat(depth) + inner + "]".repeat(depth);
}
