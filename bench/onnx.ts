/**
 * The ONNX runtime against a bare onnxruntime-node session with the same
 * session options (bench/baselines/bare_onnx.ts: the session behind a bare
 * `Deno.serve` JSON handler or a bare grpc-js handler), alternately, on the
 * same pinned core, load on the other core, at one connection: our time per
 * call over theirs is the server's overhead. Requests and rows per second
 * for a small model (1x4 FP32 in, 3 out) and a medium one (32x64 FP32 rows
 * through a 64-256-256-10 perceptron); the bare `session.run` time in this
 * process for reference; start to ready with one ONNX model.
 *
 * @module
 */

import { join } from "node:path";
import { loadOnnxRuntime } from "../runtimes/onnx/ort.ts";
import { onnxOptions } from "../runtimes/onnx/options.ts";
import { freePort, median, type ServerProcess, startServer } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";
import { runWrk } from "./lib/wrk.ts";
import { LOAD_CPU } from "./rest.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DENO = Deno.execPath();
const SERVER_CPU = "0";

interface Model {
  name: string;
  file: string;
  input: string;
  rows: number;
  features: number;
}

const MODELS: Model[] = [
  { name: "small", file: "linear_small.onnx", input: "input", rows: 1, features: 4 },
  { name: "medium", file: "mlp_medium.onnx", input: "input", rows: 32, features: 64 },
];

const graph = (file: string) => join(ROOT, "tests", "fixtures", "onnx", "graphs", file);

async function npmFfiPath(): Promise<string> {
  const info = await new Deno.Command(DENO, { args: ["info", "--json"], stdout: "piped" }).output();
  const npm = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache;
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const version = /@([\d.]+)$/.exec(config.imports["onnxruntime-node"])![1];
  return join(npm, "registry.npmjs.org", "onnxruntime-node", version!, "bin");
}

async function modelsFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mlserver-bench-onnx-" });
  for (const model of MODELS) {
    await Deno.mkdir(join(dir, model.name));
    await Deno.copyFile(graph(model.file), join(dir, model.name, "model.onnx"));
    await Deno.writeTextFile(
      join(dir, model.name, "model-settings.json"),
      JSON.stringify({ name: model.name, implementation: "mlserver_onnx.OnnxModel" }),
    );
  }
  return dir;
}

function ours(folder: string, ffi: string, http: number, grpc: number): Promise<ServerProcess> {
  return startServer({
    command: [
      DENO,
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-sys=uid",
      `--allow-ffi=${ffi}`,
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}main.ts`,
      "start",
      folder,
    ],
    cpus: SERVER_CPU,
    env: {
      MLSERVER_HOST: "127.0.0.1",
      MLSERVER_HTTP_PORT: String(http),
      MLSERVER_GRPC_PORT: String(grpc),
      MLSERVER_METRICS_PORT: String(freePort()),
    },
    ready: () =>
      fetch(`http://127.0.0.1:${http}/v2/health/ready`).then(async (
        r,
      ) => (await r.body?.cancel(), r.ok)),
  });
}

function bare(transport: "rest" | "grpc", port: number, model: Model): Promise<ServerProcess> {
  let up = false;
  return startServer({
    command: [
      DENO,
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}bench/baselines/bare_onnx.ts`,
      transport,
      String(port),
      graph(model.file),
    ],
    cpus: SERVER_CPU,
    ready: async () => {
      if (!up) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        up = true;
      }
      return up;
    },
  });
}

function body(model: Model): string {
  const data = Array.from({ length: model.rows * model.features }, (_, i) => (i % 7) / 7);
  return JSON.stringify({
    inputs: [{ name: model.input, datatype: "FP32", shape: [model.rows, model.features], data }],
  });
}

async function grpcCallsPerSecond(port: number, model: Model, name: string, calls: number) {
  const output = await new Deno.Command("taskset", {
    args: [
      "-c",
      LOAD_CPU,
      DENO,
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}bench/onnx_grpc_load.ts`,
      String(port),
      name,
      model.input,
      String(model.rows),
      String(model.features),
      String(calls),
      "1",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  const result = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
  return result.calls / result.seconds;
}

/** Microseconds per `session.run` in this process, no transport. */
async function bareSessionUs(model: Model): Promise<number> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(
    graph(model.file),
    onnxOptions({}, navigator.hardwareConcurrency).session,
  );
  const data = Float32Array.from({ length: model.rows * model.features }, (_, i) => (i % 7) / 7);
  const feeds = { [model.input]: new ort.Tensor("float32", data, [model.rows, model.features]) };
  for (let i = 0; i < 500; i++) await session.run(feeds);
  const calls = 3000;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await session.run(feeds);
  const us = ((performance.now() - t0) / calls) * 1000;
  await session.release();
  return us;
}

const us = (callsPerSecond: number) => 1e6 / callsPerSecond;

/** REST and gRPC at c1 against the bare session, the in-process session time, startup. */
export async function onnxCases(duration: number, pairs: number): Promise<Row[]> {
  const folder = await modelsFolder();
  const ffi = await npmFfiPath();
  const rows: Row[] = [];
  try {
    for (const model of MODELS) {
      const rest = { base: [] as number[], ours: [] as number[] };
      const grpc = { base: [] as number[], ours: [] as number[] };
      const calls = model.name === "small" ? 4000 : 1500;
      for (let i = 0; i < pairs; i++) {
        for (const who of ["base", "ours"] as const) {
          const http = freePort();
          const grpcPort = freePort();
          await using _server = who === "base"
            ? await bare("rest", http, model)
            : await ours(folder, ffi, http, grpcPort);
          const url = who === "base"
            ? `http://127.0.0.1:${http}/`
            : `http://127.0.0.1:${http}/v2/models/${model.name}/infer`;
          const options = { url, body: body(model), connections: 1, cpus: LOAD_CPU };
          await runWrk({ ...options, durationSeconds: 2 });
          const result = await runWrk({ ...options, durationSeconds: duration });
          if (result.errors > 0) throw new Error(`${result.errors} failed requests to ${url}`);
          rest[who].push(result.requestsPerSecond);
          if (who === "ours") {
            grpc.ours.push(await grpcCallsPerSecond(grpcPort, model, model.name, calls));
          }
        }
        const port = freePort();
        await using _bareGrpc = await bare("grpc", port, model);
        grpc.base.push(await grpcCallsPerSecond(port, model, "bare", calls));
      }
      const shape = `${model.rows}x${model.features} FP32`;
      for (const [transport, m] of [["REST", rest], ["gRPC", grpc]] as const) {
        const ratio = median(m.ours.map((o, i) => us(o) / us(m.base[i]!)));
        const acceptance = model.name === "small" && transport === "REST";
        const rate = (values: number[]) =>
          `${fmt(us(median(values)))} us/call, ${fmt(median(values))} req/s, ${
            fmt(median(values) * model.rows)
          } rows/s`;
        rows.push({
          case: `ONNX ${model.name} (${shape}) ${transport} c1, time per call`,
          baseline: rate(m.base),
          subject: rate(m.ours),
          ratio: `${fmt(ratio, 2)}x bare`,
          target: acceptance ? "<= 1.5x" : "reported",
          ok: acceptance ? ratio <= 1.5 : true,
        });
      }
      const session = await bareSessionUs(model);
      rows.push({
        case: `ONNX ${model.name} (${shape}) bare session.run in process`,
        baseline: `${fmt(session, 1)} us/call`,
        subject: "-",
        ratio: "-",
        target: "reported",
        ok: true,
      });
    }
    const startups: number[] = [];
    const only = await Deno.makeTempDir({ prefix: "mlserver-bench-onnx-one-" });
    await Deno.rename(join(folder, "small"), join(only, "small"));
    for (let i = 0; i < pairs; i++) {
      await using server = await ours(only, ffi, freePort(), freePort());
      startups.push(server.startupMs);
    }
    await Deno.remove(only, { recursive: true });
    rows.push({
      case: "ONNX start to ready, one model (spawn to /v2/health/ready)",
      baseline: "-",
      subject: `${fmt(median(startups))} ms`,
      ratio: "-",
      target: "reported",
      ok: true,
    });
  } finally {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
  return rows;
}
