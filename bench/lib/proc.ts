/**
 * Starting and measuring server processes for benchmarks: pinned to a CPU
 * with taskset, RSS and CPU time read from /proc.
 *
 * @module
 */

/** A server process started for a benchmark. */
export interface ServerProcess extends AsyncDisposable {
  pid: number;
  /** Milliseconds from spawn to the readiness condition. */
  startupMs: number;
  /** Resident memory in MiB, from /proc/<pid>/status. */
  rssMiB(): Promise<number>;
  /**
   * User + system CPU seconds consumed so far by the process and its
   * children (a launcher's server), from /proc/<pid>/stat.
   */
  cpuSeconds(): Promise<number>;
}

/** Options for `startServer`. */
export interface StartOptions {
  /** Command and arguments (the first is the program). */
  command: string[];
  /** CPU list for taskset (e.g. "0"), when available. */
  cpus?: string;
  env?: Record<string, string>;
  /** Resolves true once the server is ready (polled). */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

let hasTaskset: boolean | undefined;

/** Whether taskset exists (pinning is skipped without it). */
export async function tasksetAvailable(): Promise<boolean> {
  if (hasTaskset === undefined) {
    try {
      hasTaskset =
        (await new Deno.Command("taskset", { args: ["-V"], stdout: "null", stderr: "null" })
          .output()).success;
    } catch {
      hasTaskset = false;
    }
  }
  return hasTaskset;
}

/** Spawns a server and waits for it to be ready. */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const pin = options.cpus !== undefined && await tasksetAvailable();
  const argv = pin ? ["taskset", "-c", options.cpus!, ...options.command] : options.command;
  const started = performance.now();
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", ...options.env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const deadline = started + (options.timeoutMs ?? 30_000);
  while (!(await options.ready().catch(() => false))) {
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${argv.join(" ")} did not become ready:\n${await stderr}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = performance.now() - started;
  const pid = await mainPid(child.pid, argv[0] === "taskset");
  return {
    pid,
    startupMs,
    rssMiB: async () => {
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
    },
    cpuSeconds: () => treeCpuSeconds(pid),
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await stderr;
    },
  };
}

/**
 * CPU seconds of a process, of the children it has reaped (a launcher's
 * `cat` of the socket table each second), and, recursively, of its live
 * children.
 */
async function treeCpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime; USER_HZ is 100 on Linux.
  let seconds = fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
  const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`).catch(() => "");
  for (const child of children.trim().split(" ").filter((c) => c !== "")) {
    seconds += await treeCpuSeconds(Number(child)).catch(() => 0);
  }
  return seconds;
}

/** taskset execs the program, so the pid is the server's own. */
function mainPid(pid: number, _viaTaskset: boolean): Promise<number> {
  return Promise.resolve(pid);
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
