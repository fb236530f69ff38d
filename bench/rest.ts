/**
 * REST cases of PERFORMANCE.md: the server with the echo runtime against a
 * bare `Deno.serve` handler, run alternately (A B A B A B) on the same
 * pinned core, wrk on the other core. Reports median ratios.
 *
 * @module
 */

import { freePort, median, type ServerProcess, startServer } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";
import { runWrk, type WrkResult } from "./lib/wrk.ts";
// Serving in place (no --allow-run: no launcher child), as the tests' servers do.
import { START_PERMISSIONS } from "../tests/_cli.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** The small request of PERFORMANCE.md: one 1x4 FP32 input, JSON. */
export const SMALL_BODY = JSON.stringify({
  inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4], data: [0.1, 0.2, 0.3, 0.4] }],
});
const DENO = Deno.execPath();
const SERVER_CPU = "0";
/** The core the load generator runs on (servers run on `SERVER_CPU`). */
export const LOAD_CPU = "1";
/**
 * Readiness probes close their connections, as kubelet's do: a kept-alive
 * idle one would sit beside the load's busy connections for the whole run.
 */
const PROBE = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

/** Starts a bare baseline (`bare_rest.ts` or `bare_binary.ts`) on a fresh port. */
function bare(port: number, script = "bare_rest.ts"): Promise<ServerProcess> {
  return startServer({
    command: [DENO, "run", "--allow-net", `${ROOT}bench/baselines/${script}`, String(port)],
    cpus: SERVER_CPU,
    ready: () =>
      fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" }).then((r) => r.text()).then(
        () => true,
      ),
  });
}

/**
 * Starts our server on the bench models folder: this checkout's, or the one
 * at `root` (another checkout, for `bench compare`).
 */
export function subject(
  port: number,
  env: Record<string, string> = {},
  root = ROOT,
  flags: readonly string[] = START_PERMISSIONS,
): Promise<ServerProcess> {
  return startServer({
    command: [
      DENO,
      "run",
      ...flags,
      "--config",
      `${root}deno.json`,
      `${root}main.ts`,
      "start",
      `${root}bench/models`,
    ],
    cpus: SERVER_CPU,
    env: {
      MLSERVER_HOST: "127.0.0.1",
      MLSERVER_HTTP_PORT: String(port),
      MLSERVER_GRPC_PORT: String(freePort()),
      MLSERVER_METRICS_PORT: String(freePort()),
      // Lets a run compare V8 settings: BENCH_V8_FLAGS=--max-semi-space-size=1
      ...(Deno.env.get("BENCH_V8_FLAGS") ? { DENO_V8_FLAGS: Deno.env.get("BENCH_V8_FLAGS")! } : {}),
      ...env,
    },
    ready: () =>
      fetch(`http://127.0.0.1:${port}/v2/health/ready`, { client: PROBE }).then(async (
        r,
      ) => (await r.body?.cancel(), r.ok)),
  });
}

/** Runs wrk against one freshly started server. */
export async function measure(
  start: (port: number) => ReturnType<typeof startServer>,
  path: string,
  body: string | Uint8Array,
  connections: number,
  duration: number,
  headers: Record<string, string> = {},
): Promise<WrkResult> {
  const port = freePort();
  await using _server = await start(port);
  const url = `http://127.0.0.1:${port}${path}`;
  // Warm up the JIT before measuring.
  await runWrk({ url, body, headers, connections, durationSeconds: 2, cpus: LOAD_CPU });
  const result = await runWrk({
    url,
    body,
    headers,
    connections,
    durationSeconds: duration,
    cpus: LOAD_CPU,
  });
  if (result.errors > 0) throw new Error(`${result.errors} failed requests against ${path}`);
  return result;
}

/** The small-payload cases: throughput at c32 and p99 latency at c64. */
export async function restSmall(duration: number, pairs: number): Promise<Row[]> {
  const body = SMALL_BODY;
  const rows: Row[] = [];
  for (const [connections, metric] of [[32, "rps"], [64, "p99"]] as const) {
    const base: WrkResult[] = [];
    const ours: WrkResult[] = [];
    for (let i = 0; i < pairs; i++) {
      base.push(await measure(bare, "/", body, connections, duration));
      ours.push(await measure(subject, "/v2/models/echo/infer", body, connections, duration));
    }
    if (metric === "rps") {
      const ratios = ours.map((o, i) => o.requestsPerSecond / base[i]!.requestsPerSecond);
      rows.push({
        case: `REST infer 1x4 FP32, c${connections}, req/s`,
        baseline: fmt(median(base.map((r) => r.requestsPerSecond))),
        subject: fmt(median(ours.map((r) => r.requestsPerSecond))),
        ratio: `${fmt(median(ratios) * 100, 1)}% of baseline`,
        target: ">= 50%",
        ok: median(ratios) >= 0.5,
      });
    } else {
      const ratios = ours.map((o, i) => o.p99Ms / base[i]!.p99Ms);
      rows.push({
        case: `REST infer 1x4 FP32, c${connections}, p99`,
        baseline: `${fmt(median(base.map((r) => r.p99Ms)), 2)} ms`,
        subject: `${fmt(median(ours.map((r) => r.p99Ms)), 2)} ms`,
        ratio: `${fmt(median(ratios), 2)}x baseline`,
        target: "<= 2x",
        ok: median(ratios) <= 2,
      });
    }
  }
  return rows;
}

/** Start to ready with one model, against `deno run` of an empty script; idle RSS. */
export async function startup(pairs: number): Promise<Row[]> {
  const empty: number[] = [];
  const ours: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const t0 = performance.now();
    await new Deno.Command(DENO, {
      args: ["run", `${ROOT}bench/baselines/empty.ts`],
      stdout: "null",
      stderr: "null",
    })
      .output();
    empty.push(performance.now() - t0);
    const port = freePort();
    await using server = await subject(port);
    ours.push(server.startupMs);
    await new Promise((r) => setTimeout(r, 500));
    rss.push(await server.rssMiB());
  }
  const extra = ours.map((o, i) => o - empty[i]!);
  return [
    {
      case: "start to ready, one model",
      baseline: `${fmt(median(empty))} ms`,
      subject: `${fmt(median(ours))} ms`,
      ratio: `+${fmt(median(extra))} ms`,
      target: "<= +250 ms",
      ok: median(extra) <= 250,
    },
    {
      case: "idle RSS, one model",
      baseline: "-",
      subject: `${fmt(median(rss), 1)} MiB`,
      ratio: `${fmt(median(rss), 1)} MiB`,
      target: "<= 120 MiB",
      ok: median(rss) <= 120,
    },
  ];
}

/** 1x100000 FP32 as JSON, values written as numpy's `tolist()` writes float32s. */
function largeJsonBody(): string {
  const values = Array.from({ length: 100_000 }, (_, i) => Math.fround(Math.sin(i) * 100));
  return JSON.stringify({
    inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 100_000], data: values }],
  });
}

/** 1x1,000,000 FP32 with the binary extension; outputs asked in binary. */
function binaryBody(): { body: Uint8Array; jsonLength: number } {
  const values = Float32Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i));
  const json = new TextEncoder().encode(JSON.stringify({
    parameters: { binary_data_output: true },
    inputs: [{
      name: "input-0",
      datatype: "FP32",
      shape: [1, 1_000_000],
      parameters: { binary_data_size: values.byteLength },
    }],
  }));
  const body = new Uint8Array(json.byteLength + values.byteLength);
  body.set(json);
  body.set(new Uint8Array(values.buffer), json.byteLength);
  return { body, jsonLength: json.byteLength };
}

/** The large-payload cases: JSON (req/s) and binary (bytes/s). */
export async function restLarge(duration: number, pairs: number): Promise<Row[]> {
  const json = largeJsonBody();
  const binary = binaryBody();
  const base = { json: [] as WrkResult[], binary: [] as WrkResult[] };
  const ours = { json: [] as WrkResult[], binary: [] as WrkResult[] };
  const headers = {
    "inference-header-content-length": String(binary.jsonLength),
    "content-type": "application/octet-stream",
  };
  for (let i = 0; i < pairs; i++) {
    base.json.push(await measure(bare, "/", json, 4, duration));
    ours.json.push(await measure(subject, "/v2/models/echo/infer", json, 4, duration));
    base.binary.push(
      await measure((p) => bare(p, "bare_binary.ts"), "/", binary.body, 4, duration, headers),
    );
    ours.binary.push(
      await measure(subject, "/v2/models/echo/infer", binary.body, 4, duration, headers),
    );
  }
  const jsonRatio = median(
    ours.json.map((o, i) => o.requestsPerSecond / base.json[i]!.requestsPerSecond),
  );
  const binaryRatio = median(
    ours.binary.map((o, i) => o.requestsPerSecond / base.binary[i]!.requestsPerSecond),
  );
  // Request and answer are the same size on both sides (ours adds a JSON header of ~150 bytes).
  const mbPerSecond = (r: WrkResult[]) =>
    `${fmt((median(r.map((x) => x.requestsPerSecond)) * 2 * binary.body.byteLength) / 1e6)} MB/s`;
  return [
    {
      case: `REST infer 1x100000 FP32 JSON (${fmt(json.length / 1e6, 1)} MB), c4, req/s`,
      baseline: fmt(median(base.json.map((r) => r.requestsPerSecond)), 1),
      subject: fmt(median(ours.json.map((r) => r.requestsPerSecond)), 1),
      ratio: `${fmt(jsonRatio * 100, 1)}% of baseline`,
      target: ">= 80%",
      ok: jsonRatio >= 0.8,
    },
    {
      case: "REST infer 1x1,000,000 FP32 binary extension, c4",
      baseline: mbPerSecond(base.binary),
      subject: mbPerSecond(ours.binary),
      ratio: `${fmt(binaryRatio * 100, 1)}% of baseline`,
      target: ">= 50%",
      ok: binaryRatio >= 0.5,
    },
  ];
}
