/**
 * Bounds on HTTP connections, which `Deno.serve` does not offer: a time
 * limit for a client to finish its request headers (slowloris), an idle
 * limit for kept-alive connections, and a cap on open connections (each one
 * holds a file descriptor; running out used to end the process).
 *
 * `Deno.serve` hides its connections, so the guard watches them from the
 * outside: once a second it reads the kernel's socket table
 * (`/proc/net/tcp{,6}`) for connections to the HTTP port, and the handler
 * tells it which client ports sent requests and when. A connection that
 * never sent a whole request within the header timeout, or sat idle past
 * the idle timeout, is stalled. The guard only decides; the listener acts:
 * it starts a fresh `Deno.serve` on the same port (SO_REUSEPORT) and shuts
 * the old one down, which closes its idle and half-sent connections at once
 * and lets running requests finish. At the cap, it stops accepting until
 * connections close.
 *
 * Reading a request's client port costs about 5% of a small request, so
 * while every open connection is busy the guard only samples: one request
 * in eight or so, at random (a fixed stride could keep missing the same
 * connections of a round-robin client), just to see that each connection is
 * still sending. A look at which any connection went unsampled ends the
 * sampling, and the guard decides on exact counts again, as before: it
 * never closes anything on a sample. Under load nothing is stalled anyway.
 * (One thing a sample cannot see: a request that arrived unsampled and runs
 * past `idle_timeout` on a connection that sends nothing else. Its
 * connection then looks idle and the listener rotates once; the request
 * still finishes on the old server, and only that server's idle
 * connections close early.)
 *
 * @module
 */

/** One TCP connection to the HTTP port, as the kernel lists it. */
export interface ConnectionEntry {
  /** Remote address and port plus the socket's inode: unique while it lives. */
  key: string;
  /** The client's port, which is how the handler sees the connection. */
  remotePort: number;
}

/** While every connection is busy, the guard sees one request in this many (on average). */
export const SAMPLE_EVERY = 8;

/** The limits, in milliseconds and connections. */
export interface ConnectionLimits {
  headerTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/** What the listener should do after one look at the connections. */
export type GuardDecision =
  | { action: "none"; open: number }
  | { action: "rotate"; open: number; stalled: number }
  | { action: "pause"; open: number }
  | { action: "resume"; open: number };

/** Activity per client port and the first sighting of each connection. */
export class ConnectionGuard {
  readonly #limits: ConnectionLimits;
  /** Client port -> [requests running, time of the last request start or end]. */
  readonly #activity = new Map<number, { running: number; last: number }>();
  readonly #firstSeen = new Map<string, number>();
  /** Connections seen before this time belong to a server being shut down. */
  #rotatedAt = -Infinity;
  #paused = false;
  /** Whether requests are only sampled (every connection was busy at the last look). */
  #sampling = false;
  /** Client ports sampled since the last look. */
  readonly #sampled = new Set<number>();
  /** When the guard last looked. */
  #lastLook = -Infinity;
  /** Requests until the next sample. */
  #countdown = 1;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  /** Whether the listener is paused at the cap. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Whether the listener only samples requests: it calls `sampled` for some
   * of them, and neither `begin` nor `end`.
   */
  get sampling(): boolean {
    return this.#sampling;
  }

  /**
   * While sampling: whether to look at the request that just arrived (then
   * call `sampled` with its client port). About one in `SAMPLE_EVERY`, at a
   * random stride.
   */
  samplesNext(): boolean {
    if (--this.#countdown > 0) return false;
    this.#countdown = 1 + Math.floor(Math.random() * (2 * SAMPLE_EVERY - 1));
    return true;
  }

  /** While sampling: a request arrived on the connection from `remotePort`. */
  sampled(remotePort: number): void {
    this.#sampled.add(remotePort);
  }

  /** A request started on the connection from `remotePort`. */
  begin(remotePort: number, now: number): void {
    const seen = this.#activity.get(remotePort);
    if (seen === undefined) this.#activity.set(remotePort, { running: 1, last: now });
    else {
      seen.running++;
      seen.last = now;
    }
  }

  /** A request on the connection from `remotePort` ended. */
  end(remotePort: number, now: number): void {
    const seen = this.#activity.get(remotePort);
    if (seen === undefined) return;
    seen.running = Math.max(0, seen.running - 1);
    seen.last = now;
  }

  /** Records that the listener rotated (or paused) at `now`. */
  rotated(now: number): void {
    this.#rotatedAt = now;
  }

  /**
   * Looks at the open connections and says what to do.
   *
   * @param connections every open connection to the HTTP port now
   */
  inspect(connections: readonly ConnectionEntry[], now: number): GuardDecision {
    const { headerTimeoutMs, idleTimeoutMs, maxConnections } = this.#limits;
    const previousLook = this.#lastLook;
    this.#lastLook = now;
    const sampled = this.#sampled;
    let unsampled = 0;
    if (this.#sampling) {
      // A sampled port was active within the last interval: say so now, to
      // the second, so that the exact counts resume from there.
      for (const port of sampled) {
        const activity = this.#activity.get(port);
        if (activity === undefined) this.#activity.set(port, { running: 0, last: now });
        else activity.last = now;
      }
    }
    const alive = new Set<string>();
    const ports = new Set<number>();
    let stalled = 0;
    let quiet = 0;
    for (const { key, remotePort } of connections) {
      alive.add(key);
      ports.add(remotePort);
      let first = this.#firstSeen.get(key);
      if (first === undefined) {
        first = now;
        this.#firstSeen.set(key, now);
      }
      // A connection from before the last rotation is finishing a request on the old server.
      if (first <= this.#rotatedAt) continue;
      if (!sampled.has(remotePort)) unsampled++;
      // (Activity is forgotten with the connection, at the tick it is gone: a client port
      // reused within one tick inherits it, which only shortens that connection's idle time.)
      const activity = this.#activity.get(remotePort);
      if (activity === undefined) {
        quiet++;
        if (now - first > headerTimeoutMs) stalled++; // never sent a request
      } else if (activity.running === 0) {
        if (activity.last < previousLook) quiet++;
        if (now - activity.last > idleTimeoutMs) stalled++; // kept alive, idle
      }
    }
    sampled.clear();
    // Sample while every connection is busy; count exactly once any is not.
    if (this.#sampling) this.#sampling = unsampled === 0 && connections.length > 0;
    else this.#sampling = quiet === 0 && connections.length > 0;
    // Forget connections that closed, and ports nobody uses any more.
    for (const key of this.#firstSeen.keys()) if (!alive.has(key)) this.#firstSeen.delete(key);
    for (const port of this.#activity.keys()) if (!ports.has(port)) this.#activity.delete(port);
    const open = connections.length;
    if (this.#paused) {
      if (open < maxConnections * 0.9) {
        this.#paused = false;
        return { action: "resume", open };
      }
      return { action: "none", open };
    }
    if (open >= maxConnections) {
      this.#paused = true;
      return { action: "pause", open };
    }
    return stalled > 0 ? { action: "rotate", open, stalled } : { action: "none", open };
  }
}

/** TCP states of connections that hold a file descriptor of ours (not LISTEN, TIME_WAIT, CLOSE). */
const HELD_STATES = new Set(["01", "02", "03", "04", "05", "08", "09", "0B"]);

/**
 * Parses the kernel's socket table (`/proc/net/tcp` or `tcp6` text) for
 * connections whose local port is `port`.
 */
export function parseSocketTable(text: string, port: number): ConnectionEntry[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const entries: ConnectionEntry[] = [];
  const lines = text.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [, local, remote, state] = fields as [string, string, string, string];
    if (!local.endsWith(`:${hexPort}`) || !HELD_STATES.has(state)) continue;
    const inode = fields[9]!;
    if (inode === "0") continue; // no longer anyone's file descriptor
    const remotePort = parseInt(remote.slice(remote.lastIndexOf(":") + 1), 16);
    entries.push({ key: `${remote}#${inode}`, remotePort });
  }
  return entries;
}

/**
 * Reads the connections to `port`: undefined where the socket table cannot
 * be read at all (not Linux, not allowed), null when it cannot be read now
 * (the process is out of file descriptors).
 */
export async function readConnections(port: number): Promise<ConnectionEntry[] | undefined | null> {
  try {
    const [v4, v6] = await Promise.all([
      Deno.readTextFile("/proc/net/tcp"),
      Deno.readTextFile("/proc/net/tcp6").catch((err) => {
        if (err instanceof Deno.errors.NotFound) return ""; // no IPv6
        throw err;
      }),
    ]);
    return [...parseSocketTable(v4, port), ...parseSocketTable(v6, port)];
  } catch (err) {
    const never = err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied;
    return never ? undefined : null;
  }
}

/**
 * The default connection cap: the process's open-file limit, less room for
 * model files, the gRPC server and outgoing connections.
 */
export async function defaultMaxConnections(): Promise<number> {
  try {
    const limits = await Deno.readTextFile("/proc/self/limits");
    const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
    if (Number.isFinite(soft)) return Math.max(32, Math.min(soft - 256, 16384));
  } catch {
    // Not Linux, or not allowed to read /proc: a conservative default.
  }
  return 1000;
}
