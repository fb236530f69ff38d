/**
 * The command line: `start`, `dockerfile`, `build`, `init`, `infer`,
 * `--version`, `--help` (and each command's `--help`). Returns the exit code: 0 normal stop, 1 runtime failure, 2 usage
 * or settings error.
 *
 * @module
 */

import { InvalidSettingsError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { UsageError } from "./args.ts";
import { BUILD_HELP, buildCommand } from "./build.ts";
import { DOCKERFILE_HELP, dockerfileCommand } from "./dockerfile.ts";
import { INFER_HELP, inferCommand } from "./infer.ts";
import { INIT_HELP, initCommand } from "./init.ts";
import { START_HELP, startCommand } from "./start.ts";

/** Exit codes of the CLI. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

const HELP = `mlserver ${VERSION}: an MLServer-compatible inference server (Open Inference Protocol)

Usage: mlserver <command> [options]

Commands:
  start [FOLDER]           Serve the models in FOLDER (default: $MLSERVER_MODELS_DIR, else .)
  dockerfile FOLDER        Write a Dockerfile packaging FOLDER with the server
  build FOLDER -t TAG      Build an image of FOLDER (docker, podman or buildah)
  init [DIR]               Create a custom-runtime project
  infer -m MODEL -i IN -o OUT  Send a file of requests to a server, in batches

Options:
  -h, --help         Show help (also: mlserver <command> --help)
  -V, --version      Show the version
`;

/** A command: its help text and how it runs. */
interface Command {
  help: string;
  run(args: string[], env: Readonly<Record<string, string>>): Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  start: { help: START_HELP, run: startCommand },
  dockerfile: { help: DOCKERFILE_HELP, run: dockerfileCommand },
  build: { help: BUILD_HELP, run: buildCommand },
  init: { help: INIT_HELP, run: initCommand },
  infer: { help: INFER_HELP, run: inferCommand },
};

/**
 * Runs the CLI.
 *
 * @param args command-line arguments (without the program name)
 * @param env the process environment
 * @returns the exit code
 */
export async function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = Deno.env.toObject(),
): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    print(HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === "-V" || name === "--version") {
    print(`mlserver ${VERSION}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    printError(`Unknown command '${name}'. Run 'mlserver --help' for the list of commands.`);
    return EXIT.USAGE;
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    print(command.help);
    return EXIT.OK;
  }
  try {
    return await command.run(rest, env);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidSettingsError) {
      printError(err.message);
      return EXIT.USAGE;
    }
    if (
      err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")
    ) {
      printError(`${err.message}. Run 'mlserver ${name} --help' for usage.`);
      return EXIT.USAGE;
    }
    printError(`mlserver ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.FAILURE;
  }
}

const encoder = new TextEncoder();

function print(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

/** Writes a one-line error to standard error. */
export function printError(message: string): void {
  Deno.stderr.writeSync(encoder.encode(`error: ${message}\n`));
}
