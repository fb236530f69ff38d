/**
 * Turns an `implementation` string into a model class, as MLServer's import
 * strings do, with TypeScript modules:
 * - `module.Class` or `pkg.sub.Class`: module `module` (or `pkg/sub`) as
 *   `<name>.ts`, `.mts`, `.js`, `.mjs`, `<name>/mod.ts` or `<name>/index.ts`,
 *   searched in the settings file's folder, the models folder, each folder of
 *   `MLSERVER_MODULE_PATH`, then the working folder;
 * - `path/to/file.ts:Class`, absolute or relative to the settings folder;
 * - a built-in runtime name (`mlserver_xgboost.XGBoostModel`...).
 * Modules are imported through absolute `file://` URLs, which compiled
 * binaries require.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { RuntimeLoadError } from "../errors.ts";
import type { ModelSettings } from "../settings/model_settings.ts";
import { MLModel, type Model } from "./model.ts";
import { type StructuralInstance, StructuralModel } from "./structural.ts";

/** A class the server can instantiate as a model. */
export type ModelClass = new (settings: ModelSettings) => Model;

/** Where implementations are looked for. */
export interface LoaderOptions {
  /** The models folder. */
  modelsRoot: string;
  /** Folders of `MLSERVER_MODULE_PATH`, in order. */
  modulePath: readonly string[];
  /** The working folder (searched last). */
  cwd: string;
  /** Built-in runtimes by implementation name, tried when nothing on disk matches. */
  builtins?: Readonly<Record<string, BuiltinRuntime>>;
}

/**
 * A runtime that ships with the server. `load` is a literal dynamic import,
 * so `deno compile` embeds the module and `deno check` checks it, while a
 * server that never uses it never loads it.
 */
export interface BuiltinRuntime {
  /** Imports the runtime's module; the settings let one name choose between modules. */
  load(settings: ModelSettings): Promise<Record<string, unknown>>;
  exportName: string;
}

/** An implementation found on disk or built in: how to import it, and what to call it in errors. */
interface Located extends BuiltinRuntime {
  where: string;
}

function onDisk(path: string, exportName: string): Located {
  const url = pathToFileURL(path).href;
  return { where: url, exportName, load: () => import(url) };
}

const MODULE_FILES = [".ts", ".mts", ".js", ".mjs", "/mod.ts", "/index.ts"] as const;
const FILE_FORM = /^(.+\.(?:ts|mts|js|mjs|tsx|jsx)):([A-Za-z_$][\w$]*)$/;
const DOTTED_FORM = /^([A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)*)\.([A-Za-z_$][\w$]*)$/;

/**
 * Resolves and imports a model's implementation.
 *
 * @throws {RuntimeLoadError} naming the implementation, every place searched
 * and the cause
 */
export async function loadImplementation(
  settings: ModelSettings,
  options: LoaderOptions,
): Promise<ModelClass> {
  const spec = settings.implementation;
  const { where, exportName, load } = await locate(spec, settings, options);
  let module: Record<string, unknown>;
  try {
    module = await load(settings);
  } catch (err) {
    throw new RuntimeLoadError(
      `Cannot import implementation '${spec}' from ${where}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const exported = module[exportName];
  if (typeof exported !== "function") {
    const names = Object.keys(module).join(", ") || "nothing";
    throw new RuntimeLoadError(
      `Cannot load implementation '${spec}': ${where} does not export a class '${exportName}' ` +
        `(it exports ${names})`,
    );
  }
  return asModelClass(exported as new (settings: ModelSettings) => unknown, spec);
}

async function locate(
  spec: string,
  settings: ModelSettings,
  options: LoaderOptions,
): Promise<Located> {
  const settingsDir = settings._source === undefined ? undefined : dirname(settings._source);
  const fileForm = FILE_FORM.exec(spec);
  if (fileForm !== null) {
    const [, file, exportName] = fileForm as unknown as [string, string, string];
    const path = isAbsolute(file) ? file : resolve(settingsDir ?? options.cwd, file);
    if (!(await isFile(path))) {
      throw new RuntimeLoadError(
        `Cannot load implementation '${spec}': file ${path} not found`,
      );
    }
    return onDisk(path, exportName);
  }
  const dotted = DOTTED_FORM.exec(spec);
  if (dotted === null) {
    throw new RuntimeLoadError(
      `Cannot load implementation '${spec}': expected 'module.Class', 'pkg.module.Class' ` +
        `or 'path/to/file.ts:Class'`,
    );
  }
  const [, moduleName, exportName] = dotted as unknown as [string, string, string];
  const modulePath = moduleName.replaceAll(".", "/");
  const roots = [settingsDir, options.modelsRoot, ...options.modulePath, options.cwd]
    .filter((root): root is string => root !== undefined && root !== "")
    .map((root) => resolve(root));
  const searched: string[] = [];
  for (const root of new Set(roots)) {
    for (const suffix of MODULE_FILES) {
      const candidate = join(root, modulePath + suffix);
      searched.push(candidate);
      if (await isFile(candidate)) return onDisk(candidate, exportName);
    }
  }
  const builtin = options.builtins?.[spec];
  if (builtin !== undefined) return { where: `built-in runtime '${spec}'`, ...builtin };
  throw new RuntimeLoadError(
    `Cannot load implementation '${spec}': module '${moduleName}' not found; ` +
      `searched ${searched.join(", ")}` +
      (options.builtins === undefined
        ? ""
        : `; built-in runtimes are ${Object.keys(options.builtins).join(", ") || "none"}`),
  );
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Accepts an `MLModel` subclass as is, and any other class with a
 * `predict()` method (a module that only used `import type`) through the
 * structural adapter.
 */
function asModelClass(
  exported: new (settings: ModelSettings) => unknown,
  spec: string,
): ModelClass {
  if (exported.prototype instanceof MLModel) return exported as ModelClass;
  if (typeof exported.prototype?.predict !== "function") {
    throw new RuntimeLoadError(
      `Cannot load implementation '${spec}': '${exported.name}' is not a model class ` +
        `(it neither extends MLModel nor has a predict() method)`,
    );
  }
  return class extends StructuralModel {
    constructor(settings: ModelSettings) {
      super(settings, new exported(settings) as StructuralInstance);
    }
  };
}
