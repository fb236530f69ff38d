/**
 * Runs wrk (from apt) with a POST body and parses requests per second and
 * latency percentiles from its `--latency` report.
 *
 * @module
 */

/** What one wrk run measured. */
export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers and socket errors: a benchmark with any is invalid. */
  errors: number;
}

/** One wrk run. */
export interface WrkOptions {
  url: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
  cpus?: string;
}

/** Runs wrk once. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const dir = await Deno.makeTempDir({ prefix: "wrk-" });
  try {
    const bodyPath = `${dir}/body`;
    if (typeof options.body === "string") await Deno.writeTextFile(bodyPath, options.body);
    else await Deno.writeFile(bodyPath, options.body);
    const headers = { "content-type": "application/json", ...options.headers };
    const script = [
      `wrk.method = "POST"`,
      `local f = io.open(${JSON.stringify(bodyPath)}, "rb"); wrk.body = f:read("*a"); f:close()`,
      ...Object.entries(headers).map(([k, v]) =>
        `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`
      ),
    ].join("\n");
    await Deno.writeTextFile(`${dir}/post.lua`, script);
    const args = [
      "-t1",
      `-c${options.connections}`,
      `-d${options.durationSeconds}s`,
      "--latency",
      "-s",
      `${dir}/post.lua`,
      options.url,
    ];
    const argv = options.cpus === undefined
      ? ["wrk", ...args]
      : ["taskset", "-c", options.cpus, "wrk", ...args];
    const output = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const text = new TextDecoder().decode(output.stdout);
    if (!output.success) throw new Error(`wrk failed: ${new TextDecoder().decode(output.stderr)}`);
    return parseWrk(text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Parses wrk's report. */
export function parseWrk(text: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const latency = (p: string): number => {
    const match = new RegExp(`\\n\\s+${p}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (match === null) return NaN;
    const value = Number(match[1]);
    return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return {
    requestsPerSecond: rps,
    p50Ms: latency("50"),
    p99Ms: latency("99"),
    errors: non2xx + socketErrors,
  };
}
