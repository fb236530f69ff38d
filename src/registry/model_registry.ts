/**
 * Every model the server knows, by name and version, with its lifecycle:
 * LOADING -> READY | FAILED, UNLOADING -> gone. Operations on one name are
 * serialised. A reload builds and loads the new instance first and swaps it
 * in when ready, so requests never fail during a reload; an unload waits for
 * in-flight requests (up to the drain timeout) before releasing the model.
 *
 * @module
 */

import {
  CancelledError,
  ModelNotFoundError,
  ModelNotReadyError,
  RuntimeLoadError,
  ServerError,
} from "../errors.ts";
import type { Logger } from "../logging.ts";
import type { Model } from "../runtime/model.ts";
import type { ModelSettings } from "../settings/model_settings.ts";
import { KeyedMutex } from "./keyed_mutex.ts";
import { ModelHandle } from "./model_handle.ts";

/** Builds a model instance (import, construct, wrap) without loading it. */
export type ModelFactory = (settings: ModelSettings) => Promise<Model>;

/** Options of a registry. */
export interface RegistryOptions {
  create: ModelFactory;
  logger: Logger;
  /** How long an unload or reload waits for in-flight requests. */
  drainTimeoutMs: number;
  /** Called after any model changes state (readiness and health follow it). */
  onChange?: () => void;
}

/** Lifecycle state of one version: FAILED shows as UNAVAILABLE in the index. */
export type SlotState = "LOADING" | "READY" | "FAILED" | "UNLOADING";

/** What the registry reports about one version of a model. */
export interface ModelStatus {
  name: string;
  /** The version, or "" for an unversioned model. */
  version: string;
  state: SlotState;
  reason: string;
}

interface Slot {
  state: SlotState;
  reason: string;
  handle?: ModelHandle;
}

/** Models by name, then by version ("" for unversioned). */
export class ModelRegistry {
  readonly #options: RegistryOptions;
  readonly #models = new Map<string, Map<string, Slot>>();
  /** Default instance per name, computed on first use after any change. */
  readonly #defaults = new Map<string, ModelHandle | null>();
  readonly #mutex = new KeyedMutex();

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /**
   * Makes the loaded versions of `name` match `versions`: loads new ones,
   * reloads loaded ones, unloads versions no longer listed. Resolves when
   * every listed version is ready.
   *
   * @throws the first load failure (the other versions still proceed)
   */
  sync(name: string, versions: readonly ModelSettings[]): Promise<void> {
    return this.load(name, () => Promise.resolve(versions));
  }

  /**
   * Loads `name` from the versions `find` reports, with the lookup inside
   * the name's turn: loads and unloads of one name run whole and in arrival
   * order, so an unload sent right after a load (ModelMesh cancelling a load
   * that took too long) finds the model and unloads it. When `signal` aborts
   * while the load runs, the load finishes and is then undone: nothing of
   * that name stays registered.
   *
   * @throws {ModelNotFoundError} when `find` knows no such model
   * @throws {InvalidSettingsError} when its settings cannot be read (the name
   * is then registered as failed, with the reason)
   * @throws {CancelledError} when `signal` aborted
   */
  load(
    name: string,
    find: () => Promise<readonly ModelSettings[]>,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.#mutex.run(name, async () => {
      if (signal?.aborted) throw cancelled(name);
      let versions: readonly ModelSettings[];
      try {
        versions = await find();
      } catch (err) {
        this.#recordLookupFailure(name, err);
        throw err;
      }
      const wanted = new Set(versions.map(versionOf));
      const stale = [...(this.#models.get(name)?.keys() ?? [])].filter((v) => !wanted.has(v));
      const results = await Promise.allSettled(versions.map((s) => this.#loadOne(s)));
      await Promise.all(stale.map((version) => this.#unloadOne(name, version)));
      if (signal?.aborted) {
        await this.#unloadAllVersions(name);
        throw cancelled(name);
      }
      const failure = results.find((r) => r.status === "rejected");
      if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    });
  }

  /**
   * Registers `name` as failed without trying to load it: its settings file
   * could not be read. It then counts against readiness and answers "not
   * ready" (not "not found"), as the index lists it.
   */
  fail(name: string, reason: string): Promise<void> {
    return this.#mutex.run(name, () => {
      this.#setFailed(name, reason);
      return Promise.resolve();
    });
  }

  /**
   * Unloads every version of `name`.
   *
   * @throws {ModelNotFoundError} when nothing of that name is registered
   */
  unload(name: string): Promise<void> {
    return this.#mutex.run(name, async () => {
      const versions = this.#models.get(name);
      if (versions === undefined || versions.size === 0) throw new ModelNotFoundError(name);
      await this.#unloadAllVersions(name);
    });
  }

  /**
   * Unloads everything (shutdown).
   *
   * @param drainTimeoutMs how long each instance waits for its running
   * requests (default: the registry's)
   */
  async unloadAll(drainTimeoutMs = this.#options.drainTimeoutMs): Promise<void> {
    await Promise.allSettled(
      [...this.#models.keys()].map((name) =>
        this.#mutex.run(name, () => this.#unloadAllVersions(name, drainTimeoutMs))
      ),
    );
  }

  /**
   * The ready instance serving `name` (and `version`, when given), counted as
   * in use until `release()` is called on the returned handle.
   *
   * @throws {ModelNotFoundError} when the name or version is unknown
   * @throws {ModelNotReadyError} when it is loading, unloading or failed
   */
  acquire(name: string, version?: string): ModelHandle {
    const handle = this.#resolve(name, version);
    handle.acquire();
    return handle;
  }

  /**
   * The ready instance for a lookup that does not run inference (metadata).
   *
   * @throws like `acquire()`
   */
  get(name: string, version?: string): Model {
    return this.#resolve(name, version).model;
  }

  /** Whether `name` (and `version`) is ready; throws when unknown. */
  isReady(name: string, version?: string): boolean {
    try {
      this.#resolve(name, version);
      return true;
    } catch (err) {
      if (err instanceof ModelNotReadyError) return false;
      throw err;
    }
  }

  /** Status of every registered version. */
  statuses(): ModelStatus[] {
    const out: ModelStatus[] = [];
    for (const [name, versions] of this.#models) {
      for (const [version, slot] of versions) {
        out.push({ name, version, state: slot.state, reason: slot.reason });
      }
    }
    return out;
  }

  /** Status of one version, if registered. */
  status(name: string, version: string): ModelStatus | undefined {
    const slot = this.#models.get(name)?.get(version);
    return slot === undefined
      ? undefined
      : { name, version, state: slot.state, reason: slot.reason };
  }

  async #unloadAllVersions(name: string, drainTimeoutMs?: number): Promise<void> {
    const versions = [...(this.#models.get(name)?.keys() ?? [])];
    await Promise.all(versions.map((version) => this.#unloadOne(name, version, drainTimeoutMs)));
  }

  /**
   * A lookup that failed: unreadable settings leave the name registered as
   * failed with the reason; a name no longer on disk drops its failed entries
   * (loaded instances keep serving).
   */
  #recordLookupFailure(name: string, err: unknown): void {
    if (err instanceof ModelNotFoundError) {
      const versions = this.#models.get(name);
      if (versions === undefined) return;
      for (const [version, slot] of versions) {
        if (slot.state === "FAILED") versions.delete(version);
      }
      if (versions.size === 0) this.#models.delete(name);
      this.#changed(name);
    } else if (err instanceof ServerError) {
      this.#setFailed(name, err.message);
    }
  }

  #setFailed(name: string, reason: string): void {
    let versions = this.#models.get(name);
    if (versions === undefined) {
      versions = new Map();
      this.#models.set(name, versions);
    }
    const slot = versions.get("");
    if (slot?.handle !== undefined && slot.state === "READY") return; // keeps serving
    versions.set("", { state: "FAILED", reason });
    this.#changed(name);
  }

  /** Forgets the cached default version of `name` and tells the listener. */
  #changed(name: string): void {
    this.#defaults.delete(name);
    this.#options.onChange?.();
  }

  #resolve(name: string, version: string | undefined): ModelHandle {
    const versions = this.#models.get(name);
    if (versions === undefined || versions.size === 0) throw new ModelNotFoundError(name, version);
    if (version !== undefined && version !== "") {
      const slot = versions.get(version);
      if (slot === undefined) throw new ModelNotFoundError(name, version);
      if (slot.handle === undefined || slot.state !== "READY") {
        throw new ModelNotReadyError(name, version);
      }
      return slot.handle;
    }
    let handle = this.#defaults.get(name);
    if (handle === undefined) {
      handle = defaultVersion(versions) ?? null;
      this.#defaults.set(name, handle);
    }
    if (handle === null) throw new ModelNotReadyError(name);
    return handle;
  }

  async #loadOne(settings: ModelSettings): Promise<void> {
    const { name } = settings;
    const version = versionOf(settings);
    const log = this.#options.logger.forModel(name, version);
    let versions = this.#models.get(name);
    if (versions === undefined) {
      versions = new Map();
      this.#models.set(name, versions);
    }
    const existing = versions.get(version);
    const isReload = existing?.state === "READY" && existing.handle !== undefined;
    const slot: Slot = isReload ? existing : { state: "LOADING", reason: "" };
    if (!isReload) versions.set(version, slot);
    this.#changed(name);
    let model: Model | undefined;
    try {
      model = await this.#options.create(settings);
      const loaded = await model.load();
      if (loaded === false) {
        throw new RuntimeLoadError(`Model ${name} failed to load: load() returned false`);
      }
    } catch (err) {
      const reason = describeLoadError(name, err);
      log.error(isReload ? `Reload failed, keeping the loaded instance: ${reason}` : reason, {
        err: err instanceof ServerError ? undefined : err,
      });
      if (isReload) {
        slot.reason = `Reload failed: ${reason}`;
      } else {
        slot.state = "FAILED";
        slot.reason = reason;
        this.#changed(name);
      }
      await model?.unload().catch(() => {});
      throw err;
    }
    model.ready = true;
    const previous = slot.handle;
    slot.handle = new ModelHandle(model);
    slot.state = "READY";
    slot.reason = "";
    this.#changed(name);
    log.info(isReload ? "Reloaded model" : "Loaded model");
    if (previous !== undefined) await this.#release(previous, log);
  }

  async #unloadOne(name: string, version: string, drainTimeoutMs?: number): Promise<void> {
    const versions = this.#models.get(name);
    const slot = versions?.get(version);
    if (versions === undefined || slot === undefined) return;
    const log = this.#options.logger.forModel(name, version);
    slot.state = "UNLOADING";
    this.#changed(name);
    if (slot.handle !== undefined) await this.#release(slot.handle, log, drainTimeoutMs);
    versions.delete(version);
    if (versions.size === 0) this.#models.delete(name);
    this.#changed(name);
    log.info("Unloaded model");
  }

  /** Waits for in-flight requests on an instance, then unloads it. */
  async #release(
    handle: ModelHandle,
    log: Logger,
    drainTimeoutMs = this.#options.drainTimeoutMs,
  ): Promise<void> {
    const drained = await handle.drained(drainTimeoutMs);
    if (!drained) {
      log.warning(
        `Unloading with ${handle.inflight} request(s) still running after ${
          Math.round(drainTimeoutMs)
        } ms`,
      );
    }
    handle.model.ready = false;
    try {
      await handle.model.unload();
    } catch (err) {
      log.error(`unload() failed: ${(err as Error).message}`, { err });
    }
  }
}

/** The version key of a settings object: "" when unversioned. */
export function versionOf(settings: ModelSettings): string {
  return settings.parameters.version ?? "";
}

/**
 * The instance answering requests that name no version: a ready unversioned
 * model, else the highest ready version (numeric compare when both are
 * integers, else string compare).
 */
function defaultVersion(versions: ReadonlyMap<string, Slot>): ModelHandle | undefined {
  let best: string | undefined;
  for (const [version, slot] of versions) {
    if (slot.state !== "READY" || slot.handle === undefined) continue;
    if (version === "") return slot.handle;
    if (best === undefined || compareVersions(version, best) > 0) best = version;
  }
  return best === undefined ? undefined : versions.get(best)?.handle;
}

/** Orders two version names as MLServer does. */
export function compareVersions(a: string, b: string): number {
  const integer = /^-?\d+$/;
  if (integer.test(a) && integer.test(b)) {
    const diff = BigInt(a) - BigInt(b);
    return diff === 0n ? 0 : diff > 0n ? 1 : -1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function cancelled(name: string): CancelledError {
  return new CancelledError(`Loading model ${name} was cancelled; it is not loaded`);
}

function describeLoadError(name: string, err: unknown): string {
  if (err instanceof ServerError) return err.message;
  const error = err instanceof Error ? err : new Error(String(err));
  return `Model ${name} failed to load: ${error.name}: ${error.message}`;
}
