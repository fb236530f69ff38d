/**
 * `deno task install`: puts `mlserver` (and, when there is none, the Deno
 * that runs this script as `deno`) in `~/.deno/bin`, from this clone,
 * offline once the npm packages of deno.lock are cached (this script caches
 * them).
 *
 * The command is a small POSIX shell script rather than `deno install
 * --global`'s: that one runs whichever `deno` comes first on PATH (another
 * version, or none on a machine set up with npx), and grants one permission
 * set to every command. This one runs this exact Deno, and gives
 * `mlserver start` the permissions of the `start` task and every other
 * command those of the `cli` task: deno.json's tasks are the one place the
 * permissions are written. Run `deno task install` again after changing
 * them, or after moving the clone.
 *
 * Usage: deno task install [--root DIR]   (default $DENO_INSTALL_ROOT, else ~/.deno)
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DENO_VERSION = "2.9.3";

/** The permission flags of a `deno run <flags> main.ts [args]` task. */
export function taskFlags(task: string, name: string): { flags: string[]; args: string[] } {
  const words = task.trim().split(/\s+/);
  const main = words.indexOf("main.ts");
  if (words[0] !== "deno" || words[1] !== "run" || main < 2) {
    throw new Error(`Task '${name}' must read 'deno run <flags> main.ts [args]', got '${task}'`);
  }
  const flags = words.slice(2, main);
  const odd = flags.find((flag) => !flag.startsWith("-"));
  if (odd !== undefined) throw new Error(`Task '${name}': '${odd}' is not a flag`);
  return { flags, args: words.slice(main + 1) };
}

/** A word quoted for sh. */
function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The `mlserver` shell script. */
export function shimText(
  paths: { deno: string; repo: string },
  tasks: { start: { flags: string[]; args: string[] }; cli: { flags: string[]; args: string[] } },
): string {
  const { deno, repo } = paths;
  const { start, cli } = tasks;
  const run = (task: { flags: string[]; args: string[] }) =>
    [
      '"$deno" run',
      ...task.flags.map(quote),
      '--config "$repo/deno.json" "$repo/main.ts"',
      ...task.args.map(quote),
      '"$@"',
    ].join(" ");
  return [
    "#!/bin/sh",
    `# mlserver, written by \`deno task install\` in ${repo}. The permissions are those of`,
    '# the "start" and "cli" tasks of its deno.json: run `deno task install` there again after',
    "# changing them.",
    `deno=${quote(deno)}`,
    `repo=${quote(repo)}`,
    'if [ "$1" = start ]; then',
    "  shift",
    `  exec ${run(start)}`,
    "fi",
    `exec ${run(cli)}`,
    "",
  ].join("\n");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function versionOf(deno: string): Promise<string | undefined> {
  try {
    const { stdout } = await new Deno.Command(deno, { args: ["--version"], stdout: "piped" })
      .output();
    return /^deno (\S+)/.exec(new TextDecoder().decode(stdout))?.[1];
  } catch {
    return undefined;
  }
}

/** Puts this Deno at `target` (a hard link, else a copy) unless a Deno is there. */
async function provideDeno(target: string, self: string): Promise<string> {
  if (await exists(target)) {
    const version = await versionOf(target);
    if (version === DENO_VERSION) return target;
    console.warn(
      `warning: ${target} is Deno ${version ?? "(unknown)"}, not ${DENO_VERSION}: left as it is; ` +
        `mlserver runs with ${self}`,
    );
    return self;
  }
  try {
    await Deno.link(self, target);
  } catch {
    await Deno.copyFile(self, target);
    await Deno.chmod(target, 0o755);
  }
  return target;
}

async function main(args: string[]): Promise<void> {
  if (Deno.build.os === "windows") {
    throw new Error("deno task install writes a POSIX shell script: on Windows use deno task cli");
  }
  const { values } = parseArgs({ args, options: { root: { type: "string" } }, strict: true });
  const root = resolve(
    values.root ?? Deno.env.get("DENO_INSTALL_ROOT") ?? join(Deno.env.get("HOME") ?? ".", ".deno"),
  );
  const bin = join(root, "bin");
  const config = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));
  const start = taskFlags(config.tasks.start, "start");
  const cli = taskFlags(config.tasks.cli, "cli");
  const self = await Deno.realPath(Deno.execPath());
  // The npm packages of deno.lock, so that the first mlserver run needs no network.
  const cached = await new Deno.Command(self, {
    args: [
      "cache",
      "--quiet",
      "--frozen",
      "--config",
      join(REPO, "deno.json"),
      join(REPO, "main.ts"),
    ],
    // Its notes (protobufjs's install script is not run: nothing here needs it) are noise.
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!cached.success) {
    const detail = new TextDecoder().decode(cached.stderr).trim();
    throw new Error(`Cannot cache the packages of deno.lock: ${detail}`);
  }
  await Deno.mkdir(bin, { recursive: true });
  const deno = await provideDeno(join(bin, "deno"), self);
  const shim = join(bin, "mlserver");
  await Deno.writeTextFile(shim, shimText({ deno, repo: REPO }, { start, cli }));
  await Deno.chmod(shim, 0o755);
  console.log(`Installed ${shim} (Deno ${DENO_VERSION}: ${deno})`);
  const onPath = (Deno.env.get("PATH") ?? "").split(":").includes(bin);
  if (!onPath) {
    console.log(
      `Add ${bin} to PATH, e.g. in ~/.bashrc or ~/.profile:\n  export PATH="${bin}:$PATH"`,
    );
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
