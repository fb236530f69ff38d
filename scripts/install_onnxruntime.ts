/**
 * Fills the ONNX Runtime library folder the server loads onnxruntime-node
 * from when it sits next to the executable (runtimes/onnx/ort.ts): the
 * image's `/usr/local/lib/mlserver/onnxruntime`. Only one platform's native
 * library is copied (46 MB for linux-x64, of the package's 287 MB):
 *
 *   deno run --allow-read --allow-write --allow-env --allow-run \
 *     scripts/install_onnxruntime.ts DEST [--os linux] [--arch x64]
 *
 * The package comes from Deno's npm cache (fetched first if missing), at the
 * version deno.json pins, and lands as DEST/node_modules/onnxruntime-node
 * and DEST/node_modules/onnxruntime-common. The server then needs
 * `--allow-ffi=DEST` and nothing else to load it.
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { PACKAGE, pinnedVersion as pinnedOnnxVersion } from "../runtimes/onnx/ort.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

const OS_NAMES: Readonly<Record<string, string>> = { windows: "win32" };
const ARCH_NAMES: Readonly<Record<string, string>> = { x86_64: "x64", aarch64: "arm64" };

/** The pinned version of onnxruntime-node (deno.json's imports). */
export async function pinnedVersion(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const version = pinnedOnnxVersion(config.imports);
  if (version === undefined) {
    throw new Error(`deno.json pins no exact ${PACKAGE} version: ${config.imports[PACKAGE]}`);
  }
  return version;
}

async function deno(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) throw new Error(`deno ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    if (entry.isDirectory) await copyTree(source, join(to, entry.name));
    else if (entry.isFile) await Deno.copyFile(source, join(to, entry.name));
  }
}

/** Copies the package for one platform into `dest`; returns the native library's folder. */
export async function installOnnxRuntime(
  dest: string,
  platform: { os: string; arch: string },
): Promise<string> {
  const version = await pinnedVersion();
  await deno([
    "cache",
    "--quiet",
    "--config",
    join(ROOT, "deno.json"),
    `npm:${PACKAGE}@${version}`,
  ]);
  const npm = JSON.parse(await deno(["info", "--json"])).npmCache as string;
  const source = join(npm, "registry.npmjs.org", PACKAGE, version);
  const manifest = JSON.parse(await Deno.readTextFile(join(source, "package.json")));
  const common = manifest.dependencies["onnxruntime-common"] as string;
  const target = join(dest, "node_modules", PACKAGE);
  const native = join("bin", "napi-v6", platform.os, platform.arch);
  await copyTree(join(source, "dist"), join(target, "dist"));
  await copyTree(join(source, native), join(target, native));
  await Deno.copyFile(join(source, "package.json"), join(target, "package.json"));
  const commonSource = join(npm, "registry.npmjs.org", "onnxruntime-common", common);
  const commonTarget = join(dest, "node_modules", "onnxruntime-common");
  await copyTree(join(commonSource, "dist"), join(commonTarget, "dist"));
  await Deno.copyFile(join(commonSource, "package.json"), join(commonTarget, "package.json"));
  return join(target, native);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      os: { type: "string", default: OS_NAMES[Deno.build.os] ?? Deno.build.os },
      arch: { type: "string", default: ARCH_NAMES[Deno.build.arch] ?? Deno.build.arch },
    },
    allowPositionals: true,
  });
  const [dest] = positionals;
  if (dest === undefined) {
    console.error("usage: install_onnxruntime.ts DEST [--os linux] [--arch x64]");
    Deno.exit(2);
  }
  const native = await installOnnxRuntime(dest, { os: values.os, arch: values.arch });
  console.log(
    `onnxruntime-node ${await pinnedVersion()} for ${values.os}-${values.arch} in ${dest}`,
  );
  console.log(`native library: ${native}`);
}
