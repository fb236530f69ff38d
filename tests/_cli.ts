/**
 * The command line as a real process (`deno run main.ts ...`), and a running
 * `mlserver start` whose ports are read from its log. The default
 * permissions let `start` serve in this process (it cannot spawn Deno, so it
 * does not launch a scoped child: tests/e2e/permissions_test.ts covers that).
 *
 * @module
 */

import { join } from "node:path";
import { repoPath } from "./_helpers.ts";

/** What a server serving in its own process needs (no run: it serves instead of launching). */
export const START_PERMISSIONS = ["--allow-net", "--allow-read", "--allow-env", "--allow-sys=uid"];

/** Options of a CLI process. */
export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Deno permission flags; default those of `deno task start`. */
  permissions?: string[];
  /**
   * A program Deno runs under, with its arguments: `["setsid"]` (a process
   * group of its own), `["sh", "-c", 'ulimit -n 200 && exec "$0" "$@"']`.
   */
  via?: string[];
}

/** A `deno run main.ts ARGS` command. */
export function cliCommand(args: string[], options: CliOptions = {}): Deno.Command {
  const [program, ...before] = [...options.via ?? [], Deno.execPath()];
  return new Deno.Command(program!, {
    args: [
      ...before,
      "run",
      "--unstable-no-legacy-abort",
      ...(options.permissions ?? START_PERMISSIONS),
      "--config",
      repoPath("deno.json"),
      repoPath("main.ts"),
      ...args,
    ],
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0", ...options.env },
    cwd: options.cwd ?? repoPath(),
    stdout: "piped",
    stderr: "piped",
  });
}

/** What a finished CLI process printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const output = await cliCommand(args, options).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** A running `mlserver start` process. */
export interface ServerProcess {
  /** The REST base URL. */
  url: string;
  /** The gRPC port. */
  grpcPort: number;
  /** Log lines so far. */
  lines: string[];
  /** The process id (to send signals). */
  pid: number;
  /** Resolves once `/v2/health/ready` answers 200. */
  waitReady(): Promise<void>;
  /** Waits for the process to exit by itself. */
  exited(): Promise<{ code: number; signal: Deno.Signal | null; stderr: string }>;
  /** Sends a signal and waits for the exit; resolves with the exit code and stderr. */
  stop(signal?: Deno.Signal): Promise<{ code: number; signal: Deno.Signal | null; stderr: string }>;
}

/** Starts `mlserver start ARGS` on 127.0.0.1 with ephemeral ports. */
export async function startCli(args: string[], options: CliOptions = {}): Promise<ServerProcess> {
  const child = cliCommand([
    "start",
    "--host",
    "127.0.0.1",
    "--http-port",
    "0",
    "--grpc-port",
    "0",
    "--metrics-port",
    "0",
    ...args,
  ], options).spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let exited = false;
  const pump = (async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
    }
    exited = true;
  })();
  const stderr = new Response(child.stderr).text();
  const deadline = Date.now() + 20_000;
  const find = (pattern: RegExp) =>
    lines.map((l) => pattern.exec(l)?.[1]).find((m) => m !== undefined);
  let url: string | undefined;
  let grpcPort: string | undefined;
  while (url === undefined || grpcPort === undefined) {
    url = find(/HTTP server running on (http:\/\/[^\s"]+)/);
    grpcPort = find(/gRPC server running on http:\/\/\S+:(\d+)/);
    if (exited) throw new Error(`the server exited:\n${lines.join("\n")}\n${await stderr}`);
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${lines.join("\n")}`);
    if (url === undefined || grpcPort === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  const base = url;
  return {
    url: base,
    grpcPort: Number(grpcPort),
    lines,
    pid: child.pid,
    async waitReady() {
      while (true) {
        const response = await fetch(`${base}/v2/health/ready`);
        await response.body?.cancel();
        if (response.status === 200) return;
        if (Date.now() > deadline) throw new Error(`not ready:\n${lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async exited() {
      const status = await child.status;
      await pump;
      return { code: status.code, signal: status.signal, stderr: await stderr };
    },
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already gone: the status says how.
      }
      const status = await child.status;
      await pump;
      return { code: status.code, signal: status.signal, stderr: await stderr };
    },
  };
}

/**
 * The flags of a checkout's deno.json `start` task (between `run` and
 * `main.ts`): this repository's by default, another checkout's for
 * `bench compare --launched`.
 */
export function startTaskFlags(root = repoPath()): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(root, "deno.json")));
  const words = String(config.tasks.start).split(/\s+/);
  const run = words.indexOf("run");
  const main = words.indexOf("main.ts");
  if (words[0] !== "deno" || run < 0 || main < run) {
    throw new Error(`${root}/deno.json: the start task is not 'deno run ... main.ts start'`);
  }
  return words.slice(run + 1, main);
}

/** The start task's permission flags: what `cliCommand` takes as `permissions` to run the launcher. */
export function startTaskPermissions(): string[] {
  return startTaskFlags().filter((word) => word.startsWith("--allow-"));
}
