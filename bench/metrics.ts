/**
 * The cost of metrics on the hot path: the small REST and gRPC cases with
 * metrics on (the default) against the same server with
 * `metrics_endpoint: null` (no transport metrics, no exposition), run
 * alternately (off/on, then on/off), `pairs` times; reports the medians of
 * the pairs' ratios. Model statistics are kept in both.
 *
 *   deno task bench metrics --pairs 5
 *
 * @module
 */

import { freePort, median } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";
import { runWrk } from "./lib/wrk.ts";
import { measure as measureGrpc } from "./grpc.ts";
import { LOAD_CPU, SMALL_BODY, subject } from "./rest.ts";

const OFF = { MLSERVER_METRICS_ENDPOINT: "none" };

/**
 * wrk at c32 against a fresh server: req/s and the server's CPU time per
 * request (from /proc), which a busy machine disturbs less than req/s.
 */
async function measureRest(
  env: Record<string, string>,
  body: string,
  duration: number,
): Promise<{ rps: number; cpuUs: number }> {
  const port = freePort();
  await using server = await subject(port, env);
  const url = `http://127.0.0.1:${port}/v2/models/echo/infer`;
  const load = { url, body, connections: 32, cpus: LOAD_CPU };
  await runWrk({ ...load, durationSeconds: 2 }); // warm up the JIT
  const cpu0 = await server.cpuSeconds();
  const result = await runWrk({ ...load, durationSeconds: duration });
  const cpu = (await server.cpuSeconds()) - cpu0;
  if (result.errors > 0) throw new Error(`${result.errors} failed requests`);
  return {
    rps: result.requestsPerSecond,
    cpuUs: (cpu / (result.requestsPerSecond * duration)) * 1e6,
  };
}

/** REST c32 req/s and gRPC c32 server CPU per call, metrics on vs off. */
export async function metricsCases(duration: number, pairs: number): Promise<Row[]> {
  const body = SMALL_BODY;
  const grpcServer = (env: Record<string, string>) => (port: number) =>
    subject(freePort(), { MLSERVER_GRPC_PORT: String(port), ...env });
  const rest = {
    off: [] as number[],
    on: [] as number[],
    offCpu: [] as number[],
    onCpu: [] as number[],
  };
  const grpc = {
    off: [] as number[],
    on: [] as number[],
    offRate: [] as number[],
    onRate: [] as number[],
  };
  for (let i = 0; i < pairs; i++) {
    // Alternate which side runs first, so a drift of the machine's load favours neither.
    const order = [["off", OFF], ["on", {}]] as const;
    for (const [side, env] of i % 2 === 0 ? order : [...order].reverse()) {
      const r = await measureRest(env, body, duration);
      rest[side].push(r.rps);
      rest[side === "off" ? "offCpu" : "onCpu"].push(r.cpuUs);
      const g = await measureGrpc(grpcServer(env), 20_000, 32, "small");
      grpc[side].push(g.cpuPerCallUs);
      grpc[side === "off" ? "offRate" : "onRate"].push(g.callsPerSecond);
    }
    console.error(
      `pair ${i + 1}: REST ${fmt(rest.off.at(-1)!)} -> ${fmt(rest.on.at(-1)!)} req/s, ` +
        `${fmt(rest.offCpu.at(-1)!, 1)} -> ${fmt(rest.onCpu.at(-1)!, 1)} us/req; ` +
        `gRPC ${fmt(grpc.off.at(-1)!)} -> ${fmt(grpc.on.at(-1)!)} us/call`,
    );
  }
  const restRatio = median(rest.on.map((on, i) => on / rest.off[i]!));
  const restCpuRatio = median(rest.onCpu.map((on, i) => on / rest.offCpu[i]!));
  const cpuRatio = median(grpc.on.map((on, i) => on / grpc.off[i]!));
  const rateRatio = median(grpc.onRate.map((on, i) => on / grpc.offRate[i]!));
  return [
    {
      case: "REST infer 1x4 FP32, c32, req/s: metrics on vs off",
      baseline: fmt(median(rest.off)),
      subject: fmt(median(rest.on)),
      ratio: `${fmt(restRatio * 100, 1)}% of metrics off`,
      target: ">= 95%",
      ok: restRatio >= 0.95,
    },
    {
      case: "REST infer 1x4 FP32, c32, server CPU/request: metrics on vs off",
      baseline: `${fmt(median(rest.offCpu), 1)} us`,
      subject: `${fmt(median(rest.onCpu), 1)} us`,
      ratio: `${fmt(restCpuRatio, 3)}x`,
      target: "<= 1.05x",
      ok: restCpuRatio <= 1.05,
    },
    {
      case: "gRPC ModelInfer 1x4 FP32, c32, server CPU/call: metrics on vs off",
      baseline: `${fmt(median(grpc.off))} us (${fmt(median(grpc.offRate))}/s)`,
      subject: `${fmt(median(grpc.on))} us (${fmt(median(grpc.onRate))}/s)`,
      ratio: `${fmt(cpuRatio, 3)}x CPU, ${fmt(rateRatio * 100, 1)}% calls/s`,
      target: "<= 1.05x",
      ok: cpuRatio <= 1.05,
    },
  ];
}
