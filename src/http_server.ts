/**
 * The REST listener: `Deno.serve` plus the connection bounds it lacks (see
 * `rest/connection_guard.ts`). It binds with SO_REUSEPORT so that a fresh
 * server can take over the port before the old one shuts down; shutting a
 * server down is how stalled and idle connections get closed (while running
 * requests finish). When the process runs out of file descriptors, the
 * listener stops instead of the process: it is bound again as soon as it
 * can be. Part of the composition root, so it may start listeners.
 *
 * @module
 */

import { hostPort, listenError, messageOf } from "./errors.ts";
import type { Logger } from "./logging.ts";
import {
  type ConnectionEntry,
  ConnectionGuard,
  type ConnectionLimits,
  readConnections,
} from "./rest/connection_guard.ts";

/**
 * Where the open connections come from: a table, null when none can be had
 * now, undefined when never (the guard then turns itself off).
 */
export type ConnectionSource = (port: number) => Promise<ConnectionEntry[] | undefined | null>;

/** How to start the REST listener. */
export interface HttpServerOptions {
  host: string;
  port: number;
  handler: (request: Request) => Promise<Response>;
  limits: ConnectionLimits;
  logger: Logger;
  /** Default: the kernel's table, read directly (needs --allow-all for /proc). */
  connections?: ConnectionSource;
}

/** How often the connections are looked at. */
const INSPECT_INTERVAL_MS = 1000;
/** How long to wait before binding again after the process ran out of file descriptors. */
const REBIND_DELAY_MS = 250;
/**
 * How long a listener bound again must stay up before the outage counts as
 * over: descriptors still short stop it again within moments, and that is
 * the same outage (said once), not a new one.
 */
const RECOVERED_AFTER_MS = 1000;

/** A REST listener that survives stalled clients and file descriptor exhaustion. */
export class HttpServer {
  readonly #options: HttpServerOptions;
  readonly #guard: ConnectionGuard;
  readonly #draining = new Set<Promise<void>>();
  #current: Deno.HttpServer<Deno.NetAddr> | undefined;
  #port = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  #inspecting = false;
  #guardWorks = true;
  #exhausted = false;

  private constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#guard = new ConnectionGuard(options.limits);
  }

  /**
   * Binds and starts serving.
   *
   * @throws {Error} naming the address when it cannot listen (in use, not allowed)
   */
  static async start(options: HttpServerOptions): Promise<HttpServer> {
    const server = new HttpServer(options);
    // An ephemeral port is nobody else's; a fixed one is checked before it is shared.
    if (options.port !== 0) server.#port = await probePort(options.host, options.port);
    // A table that can never be read turns the guard off before the first request,
    // so the listener serves the handler bare (any port will do for the question).
    if (await server.#readTable() === undefined) server.#guardOff();
    server.#current = server.#bind();
    server.#port = server.#current.addr.port;
    const { hostname, port } = server.#current.addr;
    options.logger.info(`HTTP server running on http://${hostname}:${port}`);
    server.#timer = setInterval(() => server.#inspect(), INSPECT_INTERVAL_MS);
    return server;
  }

  /** The port bound (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  /**
   * Stops accepting and lets running requests finish; resolves when every
   * server generation has shut down.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) this.#retire(current);
    await Promise.all(this.#draining);
  }

  #bind(): Deno.HttpServer<Deno.NetAddr> {
    const { host, handler, logger } = this.#options;
    const guard = this.#guard;
    const options: Deno.ServeTcpOptions = {
      hostname: host,
      port: this.#port,
      // Lets the next generation bind before this one shuts down (Linux).
      reusePort: true,
      onListen: () => {},
      onError: (err) => {
        logger.error(`Unhandled HTTP error: ${messageOf(err)}`, { err });
        return new Response(JSON.stringify({ error: "Internal server error" }), { status: 500 });
      },
    };
    const guarded: Deno.ServeHandler<Deno.NetAddr> = (request, info) => {
      // The table may turn out unreadable after the start (the guard then turns off).
      if (!this.#guardWorks) return handler(request);
      if (guard.sampling) {
        if (guard.samplesNext()) guard.sampled(info.remoteAddr.port);
        return handler(request);
      }
      // The guard learns which connections are in use from their client ports.
      // Its clock is Date.now(): a millisecond is plenty for timeouts of seconds,
      // and it costs a fraction of performance.now() on this path. A callback
      // on the answer, not an async wrapper: one promise fewer per request.
      const port = info.remoteAddr.port;
      guard.begin(port, Date.now());
      const answer = handler(request);
      const end = () => guard.end(port, Date.now());
      answer.then(end, end);
      return answer;
    };
    // Without a connection table the guard is off: nothing to tell it, so no wrapper.
    const server = Deno.serve(options, this.#guardWorks ? guarded : handler);
    server.finished.catch((err) => this.#failed(server, err));
    return server;
  }

  /** A server's accept loop died (file descriptors ran out): serve again once possible. */
  #failed(server: Deno.HttpServer<Deno.NetAddr>, err: unknown): void {
    if (server !== this.#current || this.#stopped) return;
    this.#current = undefined;
    if (!this.#exhausted) {
      this.#exhausted = true;
      this.#options.logger.warning(
        `HTTP listener on ${this.#address()} stopped: ${messageOf(err)}; ` +
          `refusing connections until it can listen again`,
      );
    }
    setTimeout(() => this.#rebind(), REBIND_DELAY_MS);
  }

  #rebind(): void {
    if (this.#stopped || this.#current !== undefined) return;
    try {
      const server = this.#bind();
      this.#current = server;
      const recovered = setTimeout(() => {
        if (this.#stopped || this.#current !== server || !this.#exhausted) return;
        this.#exhausted = false;
        this.#options.logger.info(`HTTP listener on ${this.#address()} is accepting again`);
      }, RECOVERED_AFTER_MS);
      Deno.unrefTimer(recovered); // a stopping server need not wait for it
    } catch {
      setTimeout(() => this.#rebind(), REBIND_DELAY_MS);
    }
  }

  /** Shuts a server down in the background: running requests finish, idle connections close. */
  #retire(server: Deno.HttpServer<Deno.NetAddr>): void {
    const done: Promise<void> = server.shutdown().catch(() => {}).finally(() => {
      this.#draining.delete(done);
    });
    this.#draining.add(done);
  }

  /** The open connections to the HTTP port (see `ConnectionSource`). */
  #readTable(): ReturnType<ConnectionSource> {
    return (this.#options.connections ?? readConnections)(this.#port);
  }

  /** No connection table, ever: the bounds are off (said once). */
  #guardOff(): void {
    this.#guardWorks = false;
    this.#options.logger.warning(
      "No connection table (/proc/net/tcp): HTTP header and idle timeouts and " +
        "max_connections are off",
    );
  }

  async #inspect(): Promise<void> {
    if (this.#inspecting || this.#stopped || !this.#guardWorks) return;
    this.#inspecting = true;
    try {
      const connections = await this.#readTable();
      if (connections === null) return; // out of descriptors: look again next time
      if (connections === undefined) {
        this.#guardOff();
        return;
      }
      if (this.#stopped) return;
      const now = Date.now();
      const decision = this.#guard.inspect(connections, now);
      const { logger } = this.#options;
      switch (decision.action) {
        case "rotate":
          if (this.#current === undefined) break;
          try {
            const fresh = this.#bind();
            this.#retire(this.#current);
            this.#current = fresh;
            this.#guard.rotated(now);
            if (logger.enabled("debug")) {
              logger.debug(`Closing ${decision.stalled} stalled or idle HTTP connection(s)`);
            }
          } catch (err) {
            logger.debug(`Cannot rotate the HTTP listener: ${messageOf(err)}`);
          }
          break;
        case "pause":
          logger.warning(
            `${decision.open} open HTTP connections reached max_connections ` +
              `(${this.#options.limits.maxConnections}): refusing new ones until some close`,
          );
          if (this.#current !== undefined) this.#retire(this.#current);
          this.#current = undefined;
          this.#guard.rotated(now);
          break;
        case "resume":
          logger.info(`${decision.open} open HTTP connections: accepting new ones again`);
          this.#rebind();
          break;
        case "none":
          break;
      }
    } finally {
      this.#inspecting = false;
    }
  }

  #address(): string {
    const { host } = this.#options;
    return hostPort(host, this.#port);
  }
}

/**
 * Checks that the port is free before binding with SO_REUSEPORT (which would
 * otherwise share it silently with another server of the same user).
 *
 * @returns the port to bind (the ephemeral one chosen for port 0)
 */
async function probePort(host: string, port: number): Promise<number> {
  const address = hostPort(host, port);
  let listener: Deno.Listener | undefined;
  try {
    listener = Deno.listen({ hostname: host, port });
    return (listener.addr as Deno.NetAddr).port;
  } catch (err) {
    throw listenError("HTTP", address, err);
  } finally {
    listener?.close();
    await Promise.resolve();
  }
}
