/**
 * This checkout against another one on the small REST request, for changes
 * whose cost is a few percent: `deno task bench compare --against DIR`, DIR
 * being, say, `git worktree add /tmp/before <commit>`. `--subject DIR2`
 * measures another checkout in place of this one (a commit against its
 * parent, with today's bench).
 *
 * Runs taken one after the other spread 2-3x on a shared machine, so here
 * the servers run at once, all pinned to the same core, each under its own
 * wrk on the other core: whatever the machine does to one, it does to all,
 * and their CPU time per request compares within a few percent. A second
 * copy of this checkout runs alongside as the noise floor (A/A). Each round
 * starts the servers afresh, in alternating order.
 *
 * @module
 */

import { freePort, median, type ServerProcess } from "./lib/proc.ts";
import { fmt, type Row } from "./lib/table.ts";
import { runWrk } from "./lib/wrk.ts";
import { LOAD_CPU, SMALL_BODY, subject } from "./rest.ts";
import { startTaskFlags } from "../tests/_cli.ts";

/** Connections per server: three servers share the core, so each gets fewer than `rest`'s 32. */
const CONNECTIONS = 16;
/** Load before the measured windows of each round. */
const WARM_UP_SECONDS = 5;
/** Within this of 1, against the other checkout, counts as no change. */
const TOLERANCE = 0.05;

interface Side {
  label: string;
  root: string | undefined;
  /** `deno run` flags; undefined serves in place (the bench default). */
  flags: string[] | undefined;
  cpuUs: number[];
}

/** One round: every side started, warmed up, then measured twice under simultaneous load. */
async function round(sides: readonly Side[], body: string, duration: number): Promise<void> {
  const servers: { side: Side; server: ServerProcess; url: string }[] = [];
  try {
    for (const side of sides) {
      const port = freePort();
      servers.push({
        side,
        server: await subject(port, {}, side.root, side.flags),
        url: `http://127.0.0.1:${port}/v2/models/echo/infer`,
      });
    }
    const load = (url: string, durationSeconds: number) =>
      runWrk({ url, body, connections: CONNECTIONS, durationSeconds, cpus: LOAD_CPU });
    // Long enough for the JIT to settle: after 2 s, the first window still ran 5-8
    // points above the second (more code to optimise on one side than the other).
    await Promise.all(servers.map((s) => load(s.url, WARM_UP_SECONDS)));
    for (let window = 0; window < 2; window++) {
      const before = await Promise.all(servers.map((s) => s.server.cpuSeconds()));
      const results = await Promise.all(servers.map((s) => load(s.url, duration)));
      const after = await Promise.all(servers.map((s) => s.server.cpuSeconds()));
      servers.forEach((s, i) => {
        const result = results[i]!;
        if (result.errors > 0) {
          throw new Error(`${result.errors} failed requests (${s.side.label})`);
        }
        const requests = result.requestsPerSecond * duration;
        s.side.cpuUs.push(((after[i]! - before[i]!) / requests) * 1e6);
      });
    }
  } finally {
    for (const { server } of servers) await server[Symbol.asyncDispose]();
  }
}

/**
 * Server CPU per request of this checkout over `against`'s, with the A/A
 * noise floor. `launched` serves each checkout as its `deno task start`
 * does (this one: a launcher and its scoped child, CPU of both counted)
 * instead of in place.
 */
export async function compareCase(
  duration: number,
  rounds: number,
  against: string | undefined,
  launched = false,
  subjectRoot?: string,
): Promise<Row[]> {
  if (against === undefined) {
    throw new Error("bench compare needs --against DIR (another checkout of this repository)");
  }
  const other = folder(against);
  const mine = subjectRoot === undefined ? undefined : folder(subjectRoot);
  const ourFlags = launched ? startTaskFlags(mine) : undefined;
  const base: Side = {
    label: other,
    root: other,
    flags: launched ? startTaskFlags(other) : undefined,
    cpuUs: [],
  };
  const ours: Side = { label: mine ?? "this checkout", root: mine, flags: ourFlags, cpuUs: [] };
  const twin: Side = { label: `${ours.label} (A/A)`, root: mine, flags: ourFlags, cpuUs: [] };
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [base, ours, twin] : [twin, ours, base];
    await round(order, SMALL_BODY, duration);
  }
  const ratio = median(ours.cpuUs.map((us, i) => us / base.cpuUs[i]!));
  const noise = median(twin.cpuUs.map((us, i) => us / ours.cpuUs[i]!));
  const spread = ours.cpuUs.map((us, i) => fmt(us / base.cpuUs[i]!, 2)).join(" ");
  return [{
    case: `REST infer 1x4 FP32, c${CONNECTIONS} each at once, server CPU/request` +
      (launched ? ", as deno task start serves" : ""),
    baseline: `${fmt(median(base.cpuUs), 1)} us (${other})`,
    subject: `${fmt(median(ours.cpuUs), 1)} us${mine === undefined ? "" : ` (${mine})`}`,
    ratio: `${fmt(ratio, 3)}x [${spread}]; A/A ${fmt(noise, 3)}x`,
    target: `within ${TOLERANCE * 100}%`,
    ok: Math.abs(ratio - 1) <= TOLERANCE,
  }];
}

/** A checkout's folder as subject() takes it: with a trailing slash. */
function folder(dir: string): string {
  return dir.endsWith("/") ? dir : `${dir}/`;
}
