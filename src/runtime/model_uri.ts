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
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "file") return uri;
  let path = scheme === "file" ? fileURLToPath(uri) : uri;
  if (!isAbsolute(path)) {
    path = settings._source === undefined ? resolve(path) : join(dirname(settings._source), path);
  }
  path = resolve(path);
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

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}
