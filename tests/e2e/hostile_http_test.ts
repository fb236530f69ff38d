/**
 * Hostile HTTP over REST, end to end: binary-extension length lies, BYTES
 * bombs, gzip bombs, bad headers, path traversal in model names, unknown
 * routes and methods, oversize bodies, and broken requests only a raw
 * socket can send (a body shorter than its Content-Length, then a
 * half-close). Every answer is a 4xx with a bounded `{"error"}` body (or,
 * for requests HTTP itself refuses, a bare 4xx or a closed connection), and
 * the server answers afterwards.
 */
import assert from "node:assert/strict";
import { deflateSync, gzipSync } from "node:zlib";
import { startServer, withTmpDir } from "../_helpers.ts";
import {
  assertAlive,
  assertErrorBody,
  type FetchCase,
  hostileModels,
  inferBody,
  input,
  MAX_REQUEST_SIZE,
  rawHttp,
  runFetchCase,
} from "./_hostile.ts";

const utf8 = new TextEncoder();
const HEADER = "inference-header-content-length";
const FP32_1 = input("FP32", [1], [1]);

/** A binary-extension body: the JSON part, then `binary` bytes. */
function binary(json: unknown, bytes: ArrayLike<number> | Uint8Array = []): {
  body: Uint8Array<ArrayBuffer>;
  length: number;
} {
  const head = utf8.encode(JSON.stringify(json));
  const body = new Uint8Array(head.byteLength + bytes.length);
  body.set(head);
  body.set(bytes, head.byteLength);
  return { body, length: head.byteLength };
}

/** A binary-extension case: the body and its header together. */
function binaryCase(
  name: string,
  json: unknown,
  bytes: ArrayLike<number>,
  expect: { status: number; error?: RegExp; header?: (length: number) => string; path?: string },
): FetchCase {
  const { body, length } = binary(json, bytes);
  return {
    name,
    path: expect.path ?? "/v2/models/echo/infer",
    headers: { [HEADER]: expect.header?.(length) ?? String(length) },
    body,
    status: expect.status,
    ...(expect.error === undefined ? {} : { error: expect.error }),
  };
}

const sized = (name: string, datatype: string, shape: number[], size: unknown) => ({
  inputs: [{ name, datatype, shape, parameters: { binary_data_size: size } }],
});

/** Raw BYTES elements: a 4-byte little-endian length before each. */
function rawBytes(elements: number[][]): number[] {
  return elements.flatMap((e) => [e.length & 0xff, (e.length >> 8) & 0xff, 0, 0, ...e]);
}

const BOMB_COUNT = 2_000_000;
const BYTES_BOMB = sized("s", "BYTES", [BOMB_COUNT], BOMB_COUNT * 4);

const BINARY: FetchCase[] = [
  binaryCase("a header longer than the body", sized("x", "FP32", [1], 4), [0, 0, 0, 0], {
    header: () => "100000",
    status: 400,
    error: /Inference-Header-Content-Length is 100000 but the body has only \d+ bytes/,
  }),
  binaryCase("a header that is not a number", sized("x", "FP32", [1], 4), [0, 0, 0, 0], {
    header: () => "abc",
    status: 400,
    error: /Invalid Inference-Header-Content-Length "abc"/,
  }),
  binaryCase("a negative header", sized("x", "FP32", [1], 4), [0, 0, 0, 0], {
    header: () => "-5",
    status: 400,
    error: /Invalid Inference-Header-Content-Length "-5"/,
  }),
  binaryCase("a 30-digit header", sized("x", "FP32", [1], 4), [0, 0, 0, 0], {
    header: () => "9".repeat(30),
    status: 400,
    error: /Invalid Inference-Header-Content-Length "9{30}"/,
  }),
  binaryCase("a header of 5,000 characters is quoted short", sized("x", "FP32", [1], 4), [], {
    header: () => "7".repeat(5000),
    status: 400,
    error: /Invalid Inference-Header-Content-Length "7{40}\.\.\."$/,
  }),
  binaryCase("a size past the body's end", sized("x", "FP32", [1], 400), [0, 0, 0, 0], {
    status: 400,
    error: /Input 'x' claims 400 bytes of binary data, only 4 remain/,
  }),
  binaryCase("bytes left over after every input", sized("x", "FP32", [1], 4), new Array(12), {
    status: 400,
    error: /the inputs' binary_data_size add up to 4/,
  }),
  binaryCase("a negative size", sized("x", "FP32", [1], -1), [], {
    status: 400,
    error: /binary_data_size must be a non-negative integer, got -1/,
  }),
  binaryCase("a string size", sized("x", "FP32", [1], "4"), [0, 0, 0, 0], {
    status: 400,
    error: /binary_data_size must be a non-negative integer, got "4"/,
  }),
  binaryCase("a size of 2^60", sized("x", "FP32", [1], 2 ** 60), [], {
    status: 400,
    error: /binary_data_size must be a non-negative integer/,
  }),
  binaryCase(
    "both data and a size",
    { inputs: [{ ...FP32_1, parameters: { binary_data_size: 4 } }] },
    [0, 0, 0, 0],
    { status: 400, error: /Input 'x' has both data and parameters\.binary_data_size/ },
  ),
  binaryCase("a size that does not fill the shape", sized("x", "FP32", [2], 4), [0, 0, 0, 0], {
    status: 400,
    error: /raw data has 4 bytes, shape \[2\] of FP32 needs 8/,
  }),
  binaryCase(
    "a billion FP32 declared, four bytes sent",
    sized("x", "FP32", [1e9], 4),
    [0, 0, 0, 0],
    {
      status: 400,
      error: /shape \[1000000000\] of FP32 needs 4000000000/,
    },
  ),
  binaryCase("a BOOL byte of 2", sized("x", "BOOL", [1], 1), [2], {
    status: 400,
    error: /BOOL element 0 is 2, expected 0 or 1/,
  }),
  binaryCase("a BYTES length past the end", sized("s", "BYTES", [1], 8), [
    255,
    255,
    0,
    0,
    1,
    2,
    3,
    4,
  ], {
    status: 400,
    error: /raw BYTES element 0 claims 65535 bytes, only 4 remain/,
  }),
  binaryCase("a BYTES length prefix cut short", sized("s", "BYTES", [2], 6), [1, 0, 0, 0, 9, 1], {
    status: 400,
    error: /raw BYTES element 1 has a truncated length prefix/,
  }),
  binaryCase(
    "more BYTES elements than the shape",
    sized("s", "BYTES", [1], 10),
    rawBytes([[1], [2]]),
    {
      status: 400,
      error: /raw BYTES data has more than the 1 elements shape \[1\] holds/,
    },
  ),
  binaryCase(
    "a billion BYTES declared, two sent",
    sized("s", "BYTES", [1e9], 10),
    rawBytes([[1], [2]]),
    {
      status: 400,
      error: /raw BYTES data has 2 elements, shape \[1000000000\] needs 1000000000/,
    },
  ),
  binaryCase(
    "duplicate names in binary",
    {
      inputs: [sized("x", "UINT8", [1], 1).inputs[0], sized("x", "UINT8", [1], 1).inputs[0]],
    },
    [1, 2],
    { status: 400, error: /duplicate input name "x"/ },
  ),
  {
    name: "two million empty BYTES elements in 8 MB: refused before allocating them",
    headers: { [HEADER]: String(JSON.stringify(BYTES_BOMB).length) },
    body: () => binary(BYTES_BOMB, new Uint8Array(BOMB_COUNT * 4)).body,
    status: 413,
    error:
      /Input 's': 2000000 BYTES elements: decoding this \d+-byte message would create more than 524288 objects/,
  },
  binaryCase("a size with no header", sized("x", "FP32", [1], 4), [], {
    header: () => "",
    status: 400,
    error: /Invalid Inference-Header-Content-Length ""/,
  }),
  {
    name: "a size in a JSON-only request",
    body: JSON.stringify(sized("x", "FP32", [1], 4)),
    status: 400,
    error:
      /has parameters\.binary_data_size but the request has no Inference-Header-Content-Length/,
  },
  binaryCase("a JSON part that is not JSON", {}, [], {
    header: () => "1",
    status: 400,
    error: /^Invalid JSON/,
  }),
  {
    name: "the raw form for a model without declared inputs",
    headers: { [HEADER]: "0" },
    body: new Uint8Array(8),
    status: 400,
    error: /needs a model with exactly one input in its metadata, this one has 0/,
  },
  {
    name: "the raw form with bytes that do not fill the shape",
    path: "/v2/models/echo-fp32/infer",
    headers: { [HEADER]: "0" },
    body: new Uint8Array(7),
    status: 400,
    error: /a raw body of 7 bytes does not fill shape \[-1,2\] of FP32/,
  },
  {
    name: "the raw form that fills the shape",
    path: "/v2/models/echo-fp32/infer",
    headers: { [HEADER]: "0" },
    body: new Uint8Array(16),
    status: 200,
  },
  {
    name: "the raw form of a BYTES model: the whole body is one element",
    path: "/v2/models/echo-bytes/infer",
    headers: { [HEADER]: "0" },
    body: new Uint8Array(1000).fill(0xff),
    status: 200,
  },
];

const json = utf8.encode(inferBody([FP32_1]));
const GZIP: FetchCase[] = [
  {
    name: "a gzip bomb: 64 MiB of spaces in 64 KB",
    headers: { "content-encoding": "gzip" },
    body: () => new Uint8Array(gzipSync(new Uint8Array(64 * 1024 * 1024).fill(0x20), { level: 9 })),
    status: 413,
    error: /Request body exceeds the limit of 8388608 bytes/,
  },
  {
    name: "a deflate bomb",
    headers: { "content-encoding": "deflate" },
    body: () => new Uint8Array(deflateSync(new Uint8Array(64 * 1024 * 1024), { level: 9 })),
    status: 413,
    error: /exceeds the limit/,
  },
  {
    name: "gzip that is not gzip",
    headers: { "content-encoding": "gzip" },
    body: json,
    status: 400,
    error: /^Cannot decompress gzip body/,
  },
  {
    name: "gzip cut short",
    headers: { "content-encoding": "gzip" },
    body: () => new Uint8Array(gzipSync(json)).slice(0, 20),
    status: 400,
    error: /Cannot decompress gzip body|Invalid JSON/,
  },
  {
    name: "an unsupported encoding",
    headers: { "content-encoding": "br" },
    body: json,
    status: 400,
    error: /Unsupported Content-Encoding 'br': use gzip or deflate/,
  },
  {
    name: "two encodings stacked",
    headers: { "content-encoding": "gzip, gzip" },
    body: () => new Uint8Array(gzipSync(gzipSync(json))),
    status: 400,
    error: /Unsupported Content-Encoding 'gzip, gzip'/,
  },
  {
    name: "an encoding name of 10,000 characters",
    headers: { "content-encoding": "x".repeat(10_000) },
    body: json,
    status: 400,
    error: /^Unsupported Content-Encoding 'x{40}…': use gzip or deflate$/,
  },
  {
    name: "GZIP in capitals is gzip",
    headers: { "content-encoding": "GZIP" },
    body: () => new Uint8Array(gzipSync(json)),
    status: 200,
  },
];

const HEADERS: FetchCase[] = [
  {
    name: "a text/plain content type",
    headers: { "content-type": "text/plain" },
    body: json,
    status: 200,
  },
  {
    name: "an Accept-Encoding with a bad weight",
    headers: { "accept-encoding": "gzip;q=abc" },
    body: json,
    status: 200,
  },
  {
    name: "an 8 KB header value",
    headers: { "x-request-id": "r".repeat(8192) },
    body: json,
    status: 200,
  },
];

const PATHS: FetchCase[] = [
  {
    name: "an encoded traversal as a model name",
    method: "GET",
    path: "/v2/models/..%2F..%2Fetc%2Fpasswd",
    status: 404,
    error: /^Model \.\.\/\.\.\/etc\/passwd not found$/,
  },
  {
    name: "an encoded traversal to infer",
    path: "/v2/models/..%2F..%2Fetc%2Fpasswd/infer",
    body: json,
    status: 404,
    error: /not found/,
  },
  {
    name: "an encoded traversal to load",
    path: "/v2/repository/models/..%2F..%2Fetc/load",
    status: 404,
    error: /not found/,
  },
  {
    name: "an absolute path to load",
    path: "/v2/repository/models/%2Fetc%2Fpasswd/load",
    status: 404,
    error: /not found/,
  },
  {
    name: "a model folder's own name with a traversal to unload",
    path: "/v2/repository/models/echo%2F..%2Fecho/unload",
    status: 404,
    error: /not found/,
  },
  {
    name: "a NUL in a model name",
    method: "GET",
    path: "/v2/models/echo%00",
    status: 404,
    error: /not found/,
  },
  {
    name: "a malformed escape",
    method: "GET",
    path: "/v2/models/%zz/ready",
    status: 400,
    error: /^Malformed URL/,
  },
  {
    name: "a model name of 60,000 characters",
    method: "GET",
    path: `/v2/models/${"m".repeat(60_000)}`,
    status: 404,
    error: /^Model m+… not found$/,
  },
  {
    name: "a malformed escape in a URL of 60,000 characters",
    method: "GET",
    path: `/v2/models/%zz${"m".repeat(60_000)}`,
    status: 400,
    error: /^Malformed URL/,
  },
  {
    name: "a traversal as a version",
    path: "/v2/models/echo/versions/..%2F1/infer",
    body: json,
    status: 404,
    error: /^Model echo with version \.\.\/1 not found$/,
  },
  {
    name: "right-to-left marks in a model name",
    method: "GET",
    path: `/v2/models/${encodeURIComponent("\u202eohce")}`,
    status: 404,
    error: /not found/,
  },
];

const ROUTES: FetchCase[] = [
  { name: "GET /", method: "GET", path: "/", status: 404, error: /^Not found: GET \/$/ },
  { name: "GET /v3", method: "GET", path: "/v3", status: 404, error: /Not found/ },
  {
    name: "a path of 60,000 characters",
    method: "GET",
    path: `/${"p".repeat(60_000)}`,
    status: 404,
    error: /^Not found: GET \/p+…$/,
  },
  {
    name: "DELETE on infer",
    method: "DELETE",
    path: "/v2/models/echo/infer",
    status: 405,
    error: /Method DELETE not allowed/,
  },
  { name: "PUT on live", method: "PUT", path: "/v2/health/live", status: 405 },
  { name: "PATCH on the index", method: "PATCH", path: "/v2/repository/index", status: 405 },
  { name: "POST on live", method: "POST", path: "/v2/health/live", status: 405 },
  { name: "a made-up method", method: "FROB", path: "/v2/health/live", status: 405 },
  {
    name: "OPTIONS without CORS",
    method: "OPTIONS",
    path: "/v2/models/echo/infer",
    status: 405,
  },
  { name: "a segment past infer", path: "/v2/models/echo/infer/more", body: json, status: 404 },
  {
    name: "an index request that is not an object",
    path: "/v2/repository/index",
    body: "[1]",
    status: 400,
  },
  {
    name: "an index request with a bad ready",
    path: "/v2/repository/index",
    body: '{"ready":"yes please"}',
    status: 400,
  },
];

const OVERSIZE: FetchCase[] = [
  {
    name: "a 9 MiB body",
    body: () => new Uint8Array(9 * 1024 * 1024).fill(0x20),
    status: 413,
    error: /exceeds the limit of 8388608 bytes/,
  },
];

Deno.test("REST answers hostile HTTP with bounded 4xx errors and keeps serving", async (t) => {
  await using dir = await withTmpDir();
  await hostileModels(dir.path);
  await using srv = await startServer(dir.path, {
    settings: { max_request_size: MAX_REQUEST_SIZE },
  });
  const port = srv.server.httpPort;
  const groups: [string, FetchCase[]][] = [
    ["binary extension", BINARY],
    ["gzip", GZIP],
    ["headers", HEADERS],
    ["paths", PATHS],
    ["routes", ROUTES],
    ["oversize", OVERSIZE],
  ];
  for (const [group, cases] of groups) {
    for (const c of cases) {
      await t.step(`${group}: ${c.name} -> ${c.status}`, () => runFetchCase(srv.url, c));
    }
  }

  await t.step("oversize: a chunked body past the limit -> 413", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 12) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${srv.url}/v2/models/echo/infer`, { method: "POST", body });
    assert.equal(response.status, 413);
    assertErrorBody(await response.text(), "chunked");
  });

  for (const c of RAW) {
    await t.step(`raw HTTP: ${c.name}`, async () => {
      const answer = await rawHttp(port, c.request, { halfClose: c.halfClose ?? false });
      if (answer.kind === "closed") {
        assert.ok(c.closes, `${c.name}: the server closed the connection without an answer`);
      } else {
        assert.ok(answer.status < 500, `${c.name}: ${answer.status} ${answer.body.slice(0, 300)}`);
        assert.ok(
          c.status.includes(answer.status),
          `${c.name}: ${answer.status} ${answer.body.slice(0, 300)}`,
        );
        // A bare 4xx is HTTP's own refusal; a case expecting our message must carry it.
        if (answer.status >= 400 && (answer.body !== "" || c.error !== undefined)) {
          const message = assertErrorBody(answer.body, c.name);
          if (c.error !== undefined) assert.match(message, c.error, `${c.name}: ${message}`);
        }
      }
      await assertAlive(srv.url, srv.server.grpcPort, c.name);
    });
  }
});

/** A request only a raw socket sends. */
interface RawCase {
  name: string;
  request: string | Uint8Array;
  /** Shut the sending side after writing. */
  halfClose?: boolean;
  /** Statuses accepted (HTTP-level refusals may come from the HTTP layer). */
  status: number[];
  /** Whether closing without an answer is also acceptable. */
  closes?: boolean;
  error?: RegExp;
}

const POST = "POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\n";
const BODY = inferBody([FP32_1]);

const RAW: RawCase[] = [
  {
    name: "a body shorter than its Content-Length, then a half-close (was a 500)",
    request: `${POST}Content-Length: 1000\r\n\r\n${BODY}`,
    halfClose: true,
    status: [400],
    error: /^The request body is incomplete: the connection closed before all of it arrived$/,
  },
  {
    name: "a gzip body shorter than its Content-Length, then a half-close",
    request: `${POST}Content-Encoding: gzip\r\nContent-Length: 1000\r\n\r\nabc`,
    halfClose: true,
    status: [400],
    closes: true,
  },
  {
    name: "a chunked body cut mid-chunk, then a half-close",
    request: `${POST}Transfer-Encoding: chunked\r\n\r\n100\r\n${BODY}`,
    halfClose: true,
    status: [400],
    error: /^The request body is incomplete/,
  },
  {
    name: "a chunk size that is not hexadecimal",
    request: `${POST}Transfer-Encoding: chunked\r\n\r\nzz\r\n${BODY}\r\n0\r\n\r\n`,
    halfClose: true,
    status: [400],
    closes: true,
  },
  {
    name: "a Content-Length that is not a number",
    request: `${POST}Content-Length: abc\r\n\r\n${BODY}`,
    status: [400],
    closes: true,
  },
  {
    name: "two different Content-Lengths",
    request: `${POST}Content-Length: 5\r\nContent-Length: 7\r\n\r\n${BODY}`,
    status: [400],
    closes: true,
  },
  {
    name: "a negative Content-Length",
    request: `${POST}Content-Length: -1\r\n\r\n${BODY}`,
    status: [400],
    closes: true,
  },
  {
    name: "a declared 100 GB body is refused before it is read",
    request: `${POST}Content-Length: 100000000000\r\n\r\n`,
    status: [413],
    closes: true,
    error: /exceeds the limit of 8388608 bytes/,
  },
  {
    name: "both Content-Length and Transfer-Encoding",
    request: `${POST}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: [400],
    closes: true,
  },
  {
    name: "a header line without a colon",
    request: `${POST}garbage\r\nContent-Length: 2\r\n\r\n{}`,
    status: [400],
    closes: true,
  },
  {
    name: "a request line that is not HTTP",
    request: "GARBAGE\r\n\r\n",
    status: [400],
    closes: true,
  },
  {
    name: "binary noise",
    request: new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff),
    status: [400],
    closes: true,
  },
  {
    name: "a NUL in a header value",
    request: `${POST}X-Tag: a\0b\r\nContent-Length: 2\r\n\r\n{}`,
    status: [400],
    closes: true,
  },
  {
    name: "a 1 MB header",
    request: `${POST}X-Big: ${"b".repeat(1024 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`,
    status: [400, 431],
    closes: true,
  },
  {
    name: "a literal traversal in the path",
    request: "GET /v2/models/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    status: [404],
    error: /^Not found: GET /,
  },
  {
    name: "an absolute-form target for another host",
    request: `POST http://elsewhere.example/v2/models/echo/infer HTTP/1.1\r\nHost: x\r\n` +
      `Content-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`,
    status: [200],
  },
  {
    name: "TRACE",
    request: "TRACE /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    status: [405],
  },
];
