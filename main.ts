/**
 * The `mlserver` command line (also what `deno compile` turns into the
 * executable).
 *
 * @module
 */

import { runCli } from "./src/cli/cli.ts";

if (import.meta.main) Deno.exit(await runCli(Deno.args));
