/**
 * The model repository extension: index, load and unload, shared by REST and
 * both gRPC repository services.
 *
 * @module
 */

import type { Logger } from "../logging.ts";
import type { ModelState, RepositoryIndexItem } from "../protocol/types.ts";
import { type ModelRegistry, type SlotState, versionOf } from "../registry/model_registry.ts";
import type { ModelRepository } from "../repository/repository.ts";

/** What the handlers need. */
export interface RepositoryHandlersOptions {
  repository: ModelRepository;
  registry: ModelRegistry;
  logger: Logger;
}

/** Index, load and unload of models by name. */
export class RepositoryHandlers {
  readonly #options: RepositoryHandlersOptions;

  constructor(options: RepositoryHandlersOptions) {
    this.#options = options;
  }

  /**
   * Every model on disk and every model registered, with its state and, for
   * models that failed, the reason.
   *
   * @param ready only READY models
   */
  async index(ready = false): Promise<RepositoryIndexItem[]> {
    const { repository, registry } = this.#options;
    const items = new Map<string, RepositoryIndexItem>();
    for (const entry of await repository.list()) {
      if (entry.ok) {
        const { name } = entry.settings;
        const version = versionOf(entry.settings);
        items.set(key(name, version), item(name, version, "UNAVAILABLE", ""));
      } else {
        items.set(key(entry.name, ""), item(entry.name, "", "UNAVAILABLE", entry.reason));
      }
    }
    // Registered models override what disk says (and include models whose
    // files are gone but which still serve).
    for (const status of registry.statuses()) {
      items.set(
        key(status.name, status.version),
        item(status.name, status.version, indexState(status.state), status.reason),
      );
    }
    const list = [...items.values()];
    return ready ? list.filter((entry) => entry.state === "READY") : list;
  }

  /**
   * Loads (or reloads) every version of `name` found on disk, and unloads
   * loaded versions no longer there. Resolves once they are ready. The disk
   * is read in the name's turn, so loads and unloads apply in arrival order.
   *
   * @param signal the caller's cancellation: a cancelled load is undone
   * @throws {ModelNotFoundError} when no settings file names the model
   */
  async load(name: string, signal?: AbortSignal): Promise<void> {
    const { repository, registry } = this.#options;
    await registry.load(name, () => repository.find(name), signal);
  }

  /**
   * Unloads every version of `name`.
   *
   * @throws {ModelNotFoundError} when nothing of that name is loaded
   */
  async unload(name: string): Promise<void> {
    await this.#options.registry.unload(name);
  }
}

function key(name: string, version: string): string {
  return `${name}\u0000${version}`;
}

function item(
  name: string,
  version: string,
  state: RepositoryIndexItem["state"],
  reason: string,
): RepositoryIndexItem {
  return version === "" ? { name, state, reason } : { name, version, state, reason };
}

/** Index state for a slot state: a failed model is UNAVAILABLE, with a reason. */
function indexState(state: SlotState): ModelState {
  return state === "FAILED" ? "UNAVAILABLE" : state;
}
