/**
 * Test helpers: temporary folders, model folders, and a real server on
 * 127.0.0.1 port 0 that cleans up after itself.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "../src/logging.ts";
import { ModelServer } from "../src/server.ts";
import { readModelSources } from "../src/settings/load.ts";
import { type ServerSettingsInput, ServerSettingsSchema } from "../src/settings/server_settings.ts";

/** Absolute path of a file under tests/fixtures. */
export function fixture(...parts: string[]): string {
  return join(fileURLToPath(new URL("./fixtures/", import.meta.url)), ...parts);
}

/** A TCP port on 127.0.0.1 that nobody listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Absolute path of a file in the repository. */
export function repoPath(...parts: string[]): string {
  return join(fileURLToPath(new URL("../", import.meta.url)), ...parts);
}

/** A temporary folder removed when disposed. */
export interface TmpDir extends AsyncDisposable {
  path: string;
}

/** Creates a temporary folder: `await using dir = await withTmpDir();`. */
export async function withTmpDir(): Promise<TmpDir> {
  const path = await Deno.makeTempDir({ prefix: "mlserver-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** Writes `model-settings.json` (and creates the folder) under `root/folder`. */
export async function writeModel(
  root: string,
  folder: string,
  settings: Record<string, unknown>,
): Promise<string> {
  const dir = join(root, folder);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "model-settings.json"), JSON.stringify(settings));
  return dir;
}

/** Implementation strings of the fixture runtimes. */
export const RUNTIMES = {
  echo: `${fixture("runtimes", "echo.ts")}:EchoModel`,
  behaviours: (name: string) => `${fixture("runtimes", "behaviours.ts")}:${name}`,
} as const;

/** A started server and the URL of its REST API. */
export interface TestServer extends AsyncDisposable {
  server: ModelServer;
  url: string;
}

/** Starts a real server on 127.0.0.1 with ephemeral ports. */
export async function startServer(
  root: string,
  options: {
    settings?: ServerSettingsInput;
    env?: Record<string, string>;
    waitForStartup?: boolean;
  } = {},
): Promise<TestServer> {
  const settings = Object.freeze(ServerSettingsSchema.parse({
    host: "127.0.0.1",
    http_port: 0,
    grpc_port: 0,
    metrics_port: 0,
    model_repository_root: root,
    shutdown_timeout: 5,
    ...options.settings,
  }));
  const server = new ModelServer({
    settings,
    models: readModelSources(options.env ?? {}),
    logger: silentLogger,
  });
  await server.start();
  if (options.waitForStartup !== false) await server.startupDone;
  return {
    server,
    url: `http://127.0.0.1:${server.httpPort}`,
    async [Symbol.asyncDispose]() {
      await server.stop();
    },
  };
}

/** A parsed JSON body; tests index into it freely. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** POSTs JSON and returns status, headers and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

/** GETs a URL and returns status and parsed body (undefined when empty). */
export async function getJson(url: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** An FP32 input in JSON form. */
export function fp32Input(
  name: string,
  shape: number[],
  data: unknown,
): { name: string; datatype: string; shape: number[]; data: unknown } {
  return { name, datatype: "FP32", shape, data };
}

/** Resolves with the milliseconds until the server closed `conn`, or -1 if it stays open for `ms`. */
export async function closedWithin(conn: Deno.Conn, ms: number): Promise<number> {
  const started = performance.now();
  const buffer = new Uint8Array(4096);
  const deadline = started + ms;
  while (performance.now() < deadline) {
    const read = await Promise.race([
      conn.read(buffer).catch(() => null),
      new Promise<"wait">((resolve) =>
        setTimeout(() => resolve("wait"), deadline - performance.now())
      ),
    ]);
    if (read === null) return performance.now() - started; // EOF or reset: closed
    if (read === "wait") break;
  }
  return -1;
}
