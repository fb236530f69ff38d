/**
 * A bounded soak (not part of the test suite or of `deno task bench`): the
 * server with the echo runtime, in its own process, under a few minutes of
 * mixed valid and hostile traffic over REST, gRPC and raw sockets. Prints
 * the server's resident memory over time, then each kind of request with
 * its count and the statuses it got, and ends with whether anything was
 * answered unexpectedly (a 5xx, a wrong status, an exact value changed, a
 * dropped connection) and whether RSS stayed flat after warm-up (its floor
 * per 30-second window: transient requests make it swing, a leak raises it).
 *
 *   deno run -A bench/soak.ts                   3 minutes, 8 clients
 *   deno run -A bench/soak.ts --duration 60 --clients 4
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import { gzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { freePort, startServer } from "./lib/proc.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "180" },
    clients: { type: "string", default: "8" },
    warmup: { type: "string", default: "30" },
    sample: { type: "string", default: "5" },
  },
});
const DURATION_S = Number(values.duration);
const CLIENTS = Number(values.clients);
const WARMUP_S = Number(values.warmup);
const SAMPLE_S = Number(values.sample);
const MAX_REQUEST_SIZE = 8 * 1024 * 1024;

const httpPort = freePort();
const grpcPort = freePort();
const base = `http://127.0.0.1:${httpPort}`;
await using server = await startServer({
  command: [
    Deno.execPath(),
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-sys=uid",
    "--config",
    `${ROOT}deno.json`,
    `${ROOT}main.ts`,
    "start",
    `${ROOT}bench/models`,
  ],
  cpus: "0",
  env: {
    MLSERVER_HOST: "127.0.0.1",
    MLSERVER_HTTP_PORT: String(httpPort),
    MLSERVER_GRPC_PORT: String(grpcPort),
    MLSERVER_METRICS_PORT: String(freePort()),
    MLSERVER_MAX_REQUEST_SIZE: String(MAX_REQUEST_SIZE),
  },
  ready: () => fetch(`${base}/v2/health/ready`).then(async (r) => (await r.body?.cancel(), r.ok)),
});

// ---------------------------------------------------------------- requests

/** What one request ended with: an HTTP status, a gRPC code, or a failure. */
type Outcome = string;

interface Kind {
  name: string;
  weight: number;
  /** Outcomes that are right for this request. */
  expected: readonly Outcome[];
  run: () => Promise<Outcome>;
}

const utf8 = new TextEncoder();
const infer = `${base}/v2/models/echo/infer`;
const small = JSON.stringify({
  inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [0.1, 0.2, 0.3, 0.4] }],
});
const INT64_TEXT = "-9223372036854775808,9223372036854775807,9007199254740993";
const int64Body = `{"inputs": [{"name": "i", "shape": [3], "datatype": "INT64", "data": [${
  INT64_TEXT.replaceAll(",", ", ")
}]}]}`;
const gzipBomb = new Uint8Array(
  gzipSync(new Uint8Array(64 * 1024 * 1024).fill(0x20), { level: 9 }),
);
const gzipSmall = new Uint8Array(gzipSync(utf8.encode(small)));
const emptyInputs = `{"inputs":[${new Array(50_000).fill("{}").join(",")}]}`;
const deep = `{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":${"[".repeat(9_500)}1${
  "]".repeat(9_500)
}}]}`;
const oversize = new Uint8Array(MAX_REQUEST_SIZE + 1024).fill(0x20);
const binaryHead = utf8.encode(
  JSON.stringify({
    inputs: [{ name: "x", datatype: "FP32", shape: [4], parameters: { binary_data_size: 16 } }],
  }),
);
const binaryBody = new Uint8Array([...binaryHead, ...new Uint8Array(new Float32Array(4).buffer)]);
const bytesBombCount = 2_000_000;
const bytesBombHead = utf8.encode(JSON.stringify({
  inputs: [{
    name: "s",
    datatype: "BYTES",
    shape: [bytesBombCount],
    parameters: { binary_data_size: bytesBombCount * 4 },
  }],
}));
const bytesBomb = new Uint8Array(bytesBombHead.byteLength + bytesBombCount * 4);
bytesBomb.set(bytesBombHead);

async function post(
  url: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
  check?: (text: string) => boolean,
): Promise<Outcome> {
  const response = await fetch(url, { method: "POST", body, headers });
  const text = await response.text();
  if (check !== undefined && response.status === 200 && !check(text)) return "wrong answer";
  if (response.status >= 400 && !isErrorBody(text)) return `${response.status} without {"error"}`;
  return String(response.status);
}

async function get(url: string, method = "GET"): Promise<Outcome> {
  const response = await fetch(url, { method });
  await response.body?.cancel();
  return String(response.status);
}

function isErrorBody(text: string): boolean {
  try {
    const body = JSON.parse(text);
    return typeof body.error === "string" && body.error.length <= 4096 &&
      !/\n\s*at /.test(body.error);
  } catch {
    return false;
  }
}

/** One HTTP/1.1 exchange over a raw socket; the status, or `closed`. */
async function raw(request: string, halfClose: boolean): Promise<Outcome> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: httpPort });
  try {
    await conn.write(utf8.encode(request));
    if (halfClose) await conn.closeWrite();
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return "closed";
    return /^HTTP\/1\.1 (\d{3})/.exec(new TextDecoder().decode(buffer.subarray(0, n)))?.[1] ??
      "garbled";
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the server
    }
  }
}

// gRPC: one channel shared by every client, identity serializers, hand-made messages.
const channel = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), {
  "grpc.max_send_message_length": -1,
  "grpc.max_receive_message_length": -1,
});

function unary(method: string, message: Uint8Array): Promise<Outcome> {
  return new Promise((resolve) => {
    channel.makeUnaryRequest(
      `/inference.GRPCInferenceService/${method}`,
      (value: Uint8Array) => Buffer.from(value),
      (value: Buffer) => value,
      message,
      (error) => resolve(error === null ? "OK" : grpc.status[error.code] ?? String(error.code)),
    );
  });
}

function varint(value: number): number[] {
  const out: number[] = [];
  for (; value > 0x7f; value = Math.floor(value / 128)) out.push((value & 0x7f) | 0x80);
  return [...out, value];
}
const field = (n: number, bytes: ArrayLike<number>) => [
  ...varint((n << 3) | 2),
  ...varint(bytes.length),
  ...Array.from(bytes),
];
const text = (s: string) => Array.from(utf8.encode(s));
const grpcTyped = new Uint8Array([
  ...field(1, text("echo")),
  ...field(5, [
    ...field(1, text("x")),
    ...field(2, text("FP32")),
    ...field(3, [1, 4]),
    ...field(5, field(6, new Uint8Array(new Float32Array([0.1, 0.2, 0.3, 0.4]).buffer))),
  ]),
]);
const grpcRaw = new Uint8Array([
  ...field(1, text("echo")),
  ...field(5, [...field(1, text("x")), ...field(2, text("UINT8")), ...field(3, [16])]),
  ...field(7, new Uint8Array(16)),
]);
const grpcDuplicate = new Uint8Array([
  ...field(1, text("echo")),
  ...field(5, [...field(1, text("x")), ...field(2, text("UINT8")), ...field(3, [1])]),
  ...field(5, [...field(1, text("x")), ...field(2, text("UINT8")), ...field(3, [1])]),
  ...field(7, [1]),
  ...field(7, [2]),
]);
const bytesCount = 600_000;
const grpcBytesBomb = (() => {
  const contents = new Uint8Array(bytesCount * 2);
  for (let i = 0; i < contents.length; i += 2) contents[i] = 0x42;
  const head = [
    ...field(1, text("s")),
    ...field(2, text("BYTES")),
    ...field(3, varint(bytesCount)),
  ];
  const contentsTag = [0x2a, ...varint(contents.length)];
  const prefix = [
    ...field(1, text("echo")),
    0x2a,
    ...varint(head.length + contentsTag.length + contents.length),
    ...head,
    ...contentsTag,
  ];
  const out = new Uint8Array(prefix.length + contents.length);
  out.set(prefix);
  out.set(contents, prefix.length);
  return out;
})();

const KINDS: Kind[] = [
  // Valid traffic.
  { name: "REST infer 1x4 FP32", weight: 30, expected: ["200"], run: () => post(infer, small) },
  {
    name: "REST INT64 extremes (exact)",
    weight: 4,
    expected: ["200"],
    run: () => post(infer, int64Body, {}, (t) => t.includes(`"data":[${INT64_TEXT}]`)),
  },
  {
    name: "REST binary extension",
    weight: 4,
    expected: ["200"],
    run: () =>
      post(infer, binaryBody, { "inference-header-content-length": String(binaryHead.byteLength) }),
  },
  {
    name: "REST gzip body",
    weight: 3,
    expected: ["200"],
    run: () => post(infer, gzipSmall, { "content-encoding": "gzip" }),
  },
  { name: "REST health", weight: 4, expected: ["200"], run: () => get(`${base}/v2/health/live`) },
  {
    name: "gRPC infer typed",
    weight: 15,
    expected: ["OK"],
    run: () => unary("ModelInfer", grpcTyped),
  },
  { name: "gRPC infer raw", weight: 5, expected: ["OK"], run: () => unary("ModelInfer", grpcRaw) },
  // Hostile traffic.
  { name: "malformed JSON", weight: 4, expected: ["400"], run: () => post(infer, '{"inputs":[}') },
  {
    name: "envelope errors",
    weight: 4,
    expected: ["400"],
    run: () => post(infer, '{"inputs":[{"name":7,"datatype":"fp32","shape":"1"}]}'),
  },
  {
    name: "50,000 empty inputs",
    weight: 1,
    expected: ["400"],
    run: () => post(infer, emptyInputs),
  },
  { name: "data nested 9,500 deep", weight: 2, expected: ["400"], run: () => post(infer, deep) },
  {
    name: "a trillion elements declared",
    weight: 3,
    expected: ["400"],
    run: () =>
      post(infer, '{"inputs":[{"name":"x","datatype":"FP32","shape":[1000000000000],"data":[1]}]}'),
  },
  {
    name: "duplicate input names",
    weight: 3,
    expected: ["400"],
    run: () =>
      post(
        infer,
        JSON.stringify({ inputs: [JSON.parse(small).inputs[0], JSON.parse(small).inputs[0]] }),
      ),
  },
  {
    name: "INT64 past 2^63",
    weight: 2,
    expected: ["400"],
    run: () =>
      post(
        infer,
        '{"inputs":[{"name":"i","datatype":"INT64","shape":[1],"data":[9223372036854775808]}]}',
      ),
  },
  {
    name: "gzip bomb (64 MiB in 64 KB)",
    weight: 1,
    expected: ["413"],
    run: () => post(infer, gzipBomb, { "content-encoding": "gzip" }),
  },
  {
    name: "binary length lie",
    weight: 3,
    expected: ["400"],
    run: () => post(infer, binaryBody, { "inference-header-content-length": "999999" }),
  },
  {
    name: "binary BYTES bomb (2 M empty)",
    weight: 0.5,
    expected: ["413"],
    run: () =>
      post(infer, bytesBomb, {
        "inference-header-content-length": String(bytesBombHead.byteLength),
      }),
  },
  { name: "oversize body", weight: 0.5, expected: ["413"], run: () => post(infer, oversize) },
  { name: "unknown route", weight: 2, expected: ["404"], run: () => get(`${base}/v3/nothing`) },
  { name: "wrong method", weight: 2, expected: ["405"], run: () => get(infer, "DELETE") },
  {
    name: "path traversal",
    weight: 2,
    expected: ["404"],
    run: () => get(`${base}/v2/models/..%2F..%2Fetc%2Fpasswd`),
  },
  {
    name: "short body, half-close",
    weight: 2,
    expected: ["400", "closed"],
    run: () =>
      raw(
        `POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"in`,
        true,
      ),
  },
  {
    name: "garbage request line",
    weight: 1,
    expected: ["400", "closed"],
    run: () => raw("NOPE\r\n\r\n", false),
  },
  {
    name: "gRPC malformed protobuf",
    weight: 4,
    expected: ["INVALID_ARGUMENT"],
    run: () => unary("ModelInfer", new Uint8Array([0x0a, 0x7f, 0x41])),
  },
  {
    name: "gRPC duplicate names",
    weight: 2,
    expected: ["INVALID_ARGUMENT"],
    run: () => unary("ModelInfer", grpcDuplicate),
  },
  {
    name: "gRPC 600 k empty bytes_contents",
    weight: 1,
    expected: ["RESOURCE_EXHAUSTED"],
    run: () => unary("ModelInfer", grpcBytesBomb),
  },
  {
    name: "gRPC unknown model",
    weight: 2,
    expected: ["NOT_FOUND"],
    run: () => unary("ModelInfer", new Uint8Array(field(1, text("ghost")))),
  },
];

// ---------------------------------------------------------------- the run

/** A small seeded generator, so runs pick the same mix. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const totalWeight = KINDS.reduce((n, k) => n + k.weight, 0);
function pick(next: () => number): Kind {
  let r = next() * totalWeight;
  for (const kind of KINDS) {
    r -= kind.weight;
    if (r < 0) return kind;
  }
  return KINDS[KINDS.length - 1]!;
}

const counts = new Map<string, Map<Outcome, number>>();
let done = 0;
let unexpected = 0;
const started = performance.now();
const deadline = started + DURATION_S * 1000;

async function client(seed: number): Promise<void> {
  const next = random(seed);
  while (performance.now() < deadline) {
    const kind = pick(next);
    let outcome: Outcome;
    try {
      outcome = await kind.run();
    } catch (err) {
      outcome = `failed: ${(err as Error).name}`;
    }
    const byOutcome = counts.get(kind.name) ?? new Map<Outcome, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    counts.set(kind.name, byOutcome);
    done++;
    if (!kind.expected.includes(outcome)) unexpected++;
  }
}

const samples: { t: number; rss: number; done: number }[] = [];
async function sample(): Promise<void> {
  const t = (performance.now() - started) / 1000;
  const rss = await server.rssMiB();
  const previous = samples.at(-1);
  samples.push({ t, rss, done });
  const rate = previous === undefined ? 0 : (done - previous.done) / (t - previous.t);
  console.log(
    `${t.toFixed(0).padStart(5)} s  RSS ${rss.toFixed(1).padStart(7)} MiB  ` +
      `${String(done).padStart(8)} requests  ${
        rate.toFixed(0).padStart(6)
      }/s  unexpected ${unexpected}`,
  );
}

console.log(
  `soak: ${DURATION_S} s, ${CLIENTS} clients, ${KINDS.length} kinds of request, server pid ${server.pid}`,
);
await sample();
const timer = setInterval(() => void sample(), SAMPLE_S * 1000);
await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i + 1)));
clearInterval(timer);
await sample();
channel.close();

console.log("\nrequests by kind:");
for (const kind of KINDS) {
  const byOutcome = counts.get(kind.name) ?? new Map();
  const outcomes = [...byOutcome.entries()].map(([o, n]) => `${o} x${n}`).join(", ");
  const wrong = [...byOutcome.keys()].some((o) => !kind.expected.includes(o));
  console.log(`  ${wrong ? "!!" : "  "} ${kind.name.padEnd(34)} ${outcomes}`);
}

// Big hostile bodies make RSS swing by a hundred MiB from one sample to the
// next (memory in use for the requests in flight); a leak shows as a rising
// floor. So RSS is summarised per 30-second window after warm-up, and it is
// flat when the last window's minimum is within 10% (and 32 MiB) of the first's.
const WINDOW_S = 30;
const windows: number[][] = [];
for (const s of samples.filter((s) => s.t >= WARMUP_S)) {
  const index = Math.floor((s.t - WARMUP_S) / WINDOW_S);
  (windows[index] ??= []).push(s.rss);
}
// A last window of one or two samples says little: left out.
const filled = windows.filter((w) => w !== undefined && w.length >= 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nRSS per ${WINDOW_S} s window after the ${WARMUP_S} s warm-up (MiB):`);
filled.forEach((w, i) => {
  const from = WARMUP_S + i * WINDOW_S;
  console.log(
    `  ${String(from).padStart(4)}-${String(from + WINDOW_S).padEnd(4)} s  min ${
      Math.min(...w).toFixed(1).padStart(6)
    }  median ${median(w).toFixed(1).padStart(6)}  max ${Math.max(...w).toFixed(1).padStart(6)}`,
  );
});
const firstFloor = Math.min(...filled[0]!);
const lastFloor = Math.min(...filled.at(-1)!);
const flat = lastFloor - firstFloor <= Math.max(32, firstFloor * 0.1);
console.log(
  `\n${done} requests in ${((performance.now() - started) / 1000).toFixed(0)} s, ` +
    `${unexpected} unexpected; RSS floor ${firstFloor.toFixed(1)} MiB in the first window, ` +
    `${lastFloor.toFixed(1)} MiB in the last -> ${flat ? "flat" : "GROWING"}`,
);
if (unexpected > 0 || !flat) Deno.exitCode = 1;
