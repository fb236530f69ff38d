/**
 * The HTTP connection table as the launcher hands it to a scoped server: one
 * JSON line a second on standard input (`[[key, clientPort], ...]`). The
 * server reads the lines in the background and answers with the latest.
 *
 * @module
 */

import type { ConnectionEntry } from "../rest/connection_guard.ts";

/** How old the latest table may be before the guard skips a look. */
const FRESH_MS = 3000;

/**
 * Starts reading tables from standard input.
 *
 * @returns the connection source the HTTP listener polls: the latest table,
 * null when none is fresh, undefined once input has ended
 */
export function connectionsFromStdin(): () => Promise<ConnectionEntry[] | undefined | null> {
  let latest: ConnectionEntry[] | undefined;
  let at = 0;
  let ended = false;
  (async () => {
    let buffer = "";
    try {
      for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        const last = lines.at(-1);
        if (last === undefined || last === "") continue;
        const parsed = JSON.parse(last) as [string, number][];
        latest = parsed.map(([key, remotePort]) => ({ key, remotePort }));
        at = performance.now();
      }
    } catch {
      // A broken line or a closed pipe: no more tables.
    }
    ended = true;
  })();
  return () => {
    if (ended && latest === undefined) return Promise.resolve(undefined);
    return Promise.resolve(performance.now() - at < FRESH_MS ? latest ?? null : null);
  };
}
