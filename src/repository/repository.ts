/**
 * Finds models on disk: every `model-settings.json` under the models folder,
 * recursively, following symlinked folders (each real folder visited once)
 * and skipping dot-folders. With no settings file at all, the one model the
 * environment describes. Every call scans again, as MLServer does, so files
 * written since startup (ModelMesh writes them before each load) are seen.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { InvalidSettingsError, ModelNotFoundError } from "../errors.ts";
import type { Logger } from "../logging.ts";
import type { ModelSettings } from "../settings/model_settings.ts";
import {
  environmentModel,
  loadModelSettingsFile,
  MODEL_SETTINGS_FILE,
  type ModelDefaults,
} from "../settings/load.ts";

/** A model found on disk: its settings, or why they could not be read. */
export type RepositoryEntry =
  | { readonly ok: true; readonly settings: ModelSettings }
  | { readonly ok: false; readonly name: string; readonly path: string; readonly reason: string };

/** Options of a repository. */
export interface RepositoryOptions {
  /** The models folder. */
  root: string;
  /** `MLSERVER_MODEL_*` values: defaults for every file, and the environment-only model. */
  defaults: ModelDefaults;
  logger: Logger;
}

/** The models folder, read on demand. */
export class ModelRepository {
  readonly #options: RepositoryOptions;

  constructor(options: RepositoryOptions) {
    this.#options = options;
  }

  /** The models folder. */
  get root(): string {
    return this.#options.root;
  }

  /** Every model on disk, valid or not. */
  async list(): Promise<RepositoryEntry[]> {
    const { root, defaults, logger } = this.#options;
    const files = await findSettingsFiles(root, logger);
    const entries = await Promise.all(files.map(async (path): Promise<RepositoryEntry> => {
      try {
        return { ok: true, settings: await loadModelSettingsFile(path, { defaults, logger }) };
      } catch (err) {
        const reason = (err as Error).message;
        logger.warning(`Skipping ${path}: ${reason}`);
        return { ok: false, name: await guessName(path), path, reason };
      }
    }));
    if (entries.length > 0) return entries;
    try {
      const settings = environmentModel(defaults);
      return settings === undefined ? [] : [{ ok: true, settings }];
    } catch (err) {
      const reason = (err as Error).message;
      logger.warning(`Skipping the model described by the environment: ${reason}`);
      return [];
    }
  }

  /**
   * Every version on disk of one model.
   *
   * @throws {ModelNotFoundError} when no settings file names it
   * @throws {InvalidSettingsError} when its only settings are invalid
   */
  async find(name: string): Promise<ModelSettings[]> {
    const matches = (await this.list()).filter((entry) =>
      entry.ok ? entry.settings.name === name : entry.name === name
    );
    const valid = matches.flatMap((entry) => entry.ok ? [entry.settings] : []);
    if (valid.length > 0) return valid;
    const invalid = matches.find((entry) => !entry.ok);
    if (invalid !== undefined && !invalid.ok) {
      throw new InvalidSettingsError(`Cannot load model ${name}: ${invalid.reason}`);
    }
    throw new ModelNotFoundError(name);
  }
}

/** Paths of every `model-settings.json` under `root`, in a stable order. */
export async function findSettingsFiles(root: string, logger?: Logger): Promise<string[]> {
  const found: string[] = [];
  const visited = new Set<string>();
  const visit = async (folder: string): Promise<void> => {
    let real: string;
    try {
      real = await Deno.realPath(folder);
    } catch {
      return;
    }
    if (visited.has(real)) return; // a symlink loop, or a folder linked twice
    visited.add(real);
    const children: string[] = [];
    try {
      for await (const entry of Deno.readDir(folder)) {
        if (entry.name.startsWith(".")) continue;
        const path = join(folder, entry.name);
        if (entry.isFile && entry.name === MODEL_SETTINGS_FILE) {
          found.push(path);
        } else if (entry.isDirectory) {
          children.push(path);
        } else if (entry.isSymlink) {
          const target = await statOrUndefined(path);
          if (target?.isDirectory) children.push(path);
          else if (target?.isFile && entry.name === MODEL_SETTINGS_FILE) found.push(path);
        }
      }
    } catch (err) {
      logger?.warning(`Cannot read folder ${folder}: ${(err as Error).message}`);
      return;
    }
    children.sort();
    for (const child of children) await visit(child);
  };
  await visit(root);
  return found.sort();
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}

/** The name an unreadable settings file was probably meant to give. */
async function guessName(path: string): Promise<string> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path));
    if (typeof parsed?.name === "string" && parsed.name !== "") return parsed.name;
  } catch {
    // Unparseable: the folder name is the best guess.
  }
  return basename(dirname(path));
}
