/**
 * gRPC cases of PERFORMANCE.md: the server with the echo runtime against a
 * bare grpc-js echo server, alternately, on the same pinned core; the load
 * generator runs in its own process on the other core. Reports server CPU
 * per call (from /proc) and payload throughput.
 *
 * @module
 */

import { freePort, median, type ServerProcess, startServer } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";
import { subject } from "./rest.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DENO = Deno.execPath();

async function bareGrpc(port: number): Promise<ServerProcess> {
  let up = false;
  return await startServer({
    command: [
      DENO,
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}bench/baselines/bare_grpc.ts`,
      String(port),
    ],
    cpus: "0",
    ready: async () => {
      if (up) return true;
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        up = true;
      } catch {
        // not yet
      }
      return up;
    },
  });
}

interface LoadResult {
  calls: number;
  seconds: number;
  requestBytes: number;
  responseBytes: number;
}

async function load(
  port: number,
  calls: number,
  concurrency: number,
  size: string,
): Promise<LoadResult> {
  const args = [
    "-c",
    "1",
    DENO,
    "run",
    "-A",
    "--config",
    `${ROOT}deno.json`,
    `${ROOT}bench/grpc_load.ts`,
    String(port),
    String(calls),
    String(concurrency),
    size,
  ];
  const output = await new Deno.Command("taskset", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

interface Measure {
  callsPerSecond: number;
  cpuPerCallUs: number;
  bytesPerSecond: number;
}

export async function measure(
  start: (port: number) => Promise<ServerProcess>,
  calls: number,
  concurrency: number,
  size: string,
): Promise<Measure> {
  const port = freePort();
  await using server = await start(port);
  await load(port, Math.ceil(calls / 5), concurrency, size); // warm up
  const cpu0 = await server.cpuSeconds();
  const result = await load(port, calls, concurrency, size);
  const cpu = (await server.cpuSeconds()) - cpu0;
  return {
    callsPerSecond: result.calls / result.seconds,
    cpuPerCallUs: (cpu / result.calls) * 1e6,
    bytesPerSecond: (result.calls * (result.requestBytes + result.responseBytes)) / result.seconds,
  };
}

/** gRPC small (server CPU per call) and large raw (bytes per second). */
export async function grpcCases(pairs: number, quick = false): Promise<Row[]> {
  const ours = (port: number) =>
    subject(freePort(), {
      MLSERVER_GRPC_PORT: String(port),
      MLSERVER_GRPC_MAX_MESSAGE_LENGTH: "-1",
    });
  const small = { base: [] as Measure[], ours: [] as Measure[] };
  const large = { base: [] as Measure[], ours: [] as Measure[] };
  for (let i = 0; i < pairs; i++) {
    small.base.push(await measure(bareGrpc, quick ? 5_000 : 20_000, 32, "small"));
    small.ours.push(await measure(ours, quick ? 5_000 : 20_000, 32, "small"));
    large.base.push(await measure(bareGrpc, quick ? 30 : 150, 4, "large"));
    large.ours.push(await measure(ours, quick ? 30 : 150, 4, "large"));
  }
  const cpuRatio = median(small.ours.map((o, i) => o.cpuPerCallUs / small.base[i]!.cpuPerCallUs));
  const bytesRatio = median(
    large.ours.map((o, i) => o.bytesPerSecond / large.base[i]!.bytesPerSecond),
  );
  const mb = (m: Measure[]) => `${fmt(median(m.map((x) => x.bytesPerSecond)) / 1e6)} MB/s`;
  return [
    {
      case: "gRPC ModelInfer 1x4 FP32, c32, server CPU/call",
      baseline: `${fmt(median(small.base.map((m) => m.cpuPerCallUs)))} us (${
        fmt(median(small.base.map((m) => m.callsPerSecond)))
      }/s)`,
      subject: `${fmt(median(small.ours.map((m) => m.cpuPerCallUs)))} us (${
        fmt(median(small.ours.map((m) => m.callsPerSecond)))
      }/s)`,
      ratio: `${fmt(cpuRatio, 2)}x baseline`,
      target: "<= 1.3x",
      ok: cpuRatio <= 1.3,
    },
    {
      case: "gRPC ModelInfer 1x1,000,000 FP32 raw, c4",
      baseline: mb(large.base),
      subject: mb(large.ours),
      ratio: `${fmt(bytesRatio * 100, 1)}% of baseline`,
      target: ">= 70%",
      ok: bytesRatio >= 0.7,
    },
  ];
}
