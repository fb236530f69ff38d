/**
 * `getModelUri`: where a model's file is, with MLServer's exact rules for
 * relative paths, other schemes and well-known file names.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidModelUriError } from "../errors.ts";
import type { ModelSettings } from "../settings/model_settings.ts";

/**
 * Options of `getModelUri`.
 *
 * @example The well-known names XGBoost models use
 * ```ts
 * import type { GetModelUriOptions } from "mlserver";
 * const options: GetModelUriOptions = { wellknownFilenames: ["model.bst", "model.json", "model.ubj"] };
 * console.assert(options.wellknownFilenames!.length === 3);
 * ```
 */
export interface GetModelUriOptions {
  /** File names tried in order when the uri is a folder (e.g. `model.json`). */
  wellknownFilenames?: readonly string[];
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/**
 * Resolves the model's `parameters.uri`:
 * - no uri: `InvalidModelUriError`;
 * - another scheme (`s3://`, `gs://`, `https://`): returned unchanged;
 * - a relative path: joined to the settings file's folder (or the working
 *   folder for a model built from the environment);
 * - an existing file: returned;
 * - a folder: its first existing well-known file, in list order, else the
 *   folder itself;
 * - anything else: `InvalidModelUriError` naming the resolved path.
 *
 * @example Find a model file by well-known names
 * ```ts
 * import { getModelUri } from "mlserver";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/model.json`, "{}");
 * const settings = { name: "m", parameters: { uri: dir } };
 * const uri = await getModelUri(settings, { wellknownFilenames: ["model.bst", "model.json"] });
 * console.assert(uri === `${dir}/model.json`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function getModelUri(
  settings: Pick<ModelSettings, "name"> & {
    parameters?: { uri?: string | undefined };
    _source?: string | undefined;
  },
  options: GetModelUriOptions = {},
): Promise<string> {
  const uri = settings.parameters?.uri;
  if (uri === undefined || uri === "") throw new InvalidModelUriError(settings.name);
  const base = settings._source === undefined ? undefined : dirname(settings._source);
  const path = localModelPath(uri, base);
  if (path === undefined) return uri;
  const info = await statOrUndefined(path);
  if (info?.isFile) return path;
  if (info?.isDirectory) {
    for (const name of options.wellknownFilenames ?? []) {
      const candidate = join(path, name);
      if ((await statOrUndefined(candidate))?.isFile) return candidate;
    }
    return path;
  }
  throw new InvalidModelUriError(settings.name, path);
}

/**
 * The local path a model uri names: a plain or `file:` path, a relative one
 * resolved against `base` (the settings file's folder; else the working
 * folder). Undefined for another scheme (`s3://`, `https://`), which
 * storage initializers fetch. The launcher grants read on the same paths.
 */
export function localModelPath(uri: string, base?: string): string | undefined {
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "file") return undefined;
  const path = scheme === "file" ? fileURLToPath(uri) : uri;
  if (isAbsolute(path)) return resolve(path);
  return base === undefined ? resolve(path) : resolve(join(base, path));
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}
