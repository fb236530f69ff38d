/**
 * The server's version, reported by `--version` and server metadata. A test
 * keeps it equal to `version` in deno.json.
 *
 * @module
 */

/** Version of this server. */
export const VERSION = "0.1.0";
