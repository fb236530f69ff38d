/**
 * Loads onnxruntime-node the first time an ONNX model loads, never before:
 * a server without ONNX models neither reads the package nor needs
 * `--allow-ffi`. Two places are tried:
 *
 * 1. the library folder next to the executable,
 *    `<prefix>/lib/mlserver/onnxruntime` for `<prefix>/bin/mlserver` (the
 *    image's `/usr/local/lib/mlserver/onnxruntime`), which holds
 *    `node_modules/onnxruntime-node` (one platform's native library) and
 *    `node_modules/onnxruntime-common`: `deno compile` cannot carry the
 *    native library (see README.md), so the executable loads it from there;
 * 2. the npm package `onnxruntime-node` of deno.json (`deno run`).
 *
 * The package is named through a variable so that neither `deno compile`
 * (which would embed all five platforms' libraries, 287 MB) nor the static
 * module graph of `main.ts` contains it.
 *
 * @module
 */

import type * as Ort from "onnxruntime-node";
import { createRequire } from "node:module";

/** The onnxruntime-node module. */
export type OnnxRuntime = typeof Ort;

/** The npm package, as deno.json's imports name it. */
export const PACKAGE = "onnxruntime-node";

/**
 * Where the image puts the library: `<prefix>/lib/mlserver/onnxruntime`.
 * (The launcher grants `--allow-ffi` on it, so it asks here.)
 */
export function defaultLibraryFolder(): string {
  const bin = Deno.execPath().replace(/\/[^/]*$/, "");
  return `${bin.replace(/\/[^/]*$/, "")}/lib/mlserver/onnxruntime`;
}

/**
 * The exact version of the package that deno.json's `imports` pin
 * (`npm:onnxruntime-node@1.30.0`), undefined when they pin none.
 */
export function pinnedVersion(imports: Readonly<Record<string, string>>): string | undefined {
  return /^npm:onnxruntime-node@(\d[\w.-]*)$/.exec(imports[PACKAGE] ?? "")?.[1];
}

/** Options of {@link loadOnnxRuntime}. */
export interface LoadOptions {
  /** The library folder tried first (default {@link defaultLibraryFolder}). */
  folder?: string;
}

let loading: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-node, loaded once per process: from the library folder when
 * it holds the package, else from npm. Failures are not cached, so a model
 * loaded after fixing the permission or the folder succeeds.
 *
 * @throws {Error} saying which flag or folder is missing
 */
export function loadOnnxRuntime(options: LoadOptions = {}): Promise<OnnxRuntime> {
  loading ??= load(options.folder ?? defaultLibraryFolder()).catch((err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function load(folder: string): Promise<OnnxRuntime> {
  const inFolder = await hasPackage(folder);
  try {
    const ort: OnnxRuntime = inFolder
      ? createRequire(`${folder}/`)(`./node_modules/${PACKAGE}`)
      : await import(PACKAGE);
    return ort;
  } catch (err) {
    const message = (err as Error).message;
    // Without the grant, the library's files are unreadable too: Node's resolver then
    // reports the native binding as missing rather than refused.
    const denied = err instanceof Deno.errors.NotCapable || /--allow-ffi/.test(message) ||
      /Cannot find module .*onnxruntime_binding\.node/.test(message);
    const hint = denied
      ? `: the server needs --allow-ffi for the ONNX Runtime library (${
        inFolder ? folder : "the onnxruntime-node folder of the npm cache"
      }; mlserver start grants it when an ONNX model is in the folder at start, ` +
        `or with --allow-ffi or MLSERVER_PERMISSIONS=--allow-ffi)`
      : inFolder
      ? ` from ${folder}`
      : ` (npm:${PACKAGE}; a compiled executable loads it only from ${folder})`;
    throw new Error(`Cannot load onnxruntime-node${hint}: ${message}`, { cause: err });
  }
}

async function hasPackage(folder: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${folder}/node_modules/${PACKAGE}/package.json`)).isFile;
  } catch {
    return false;
  }
}
