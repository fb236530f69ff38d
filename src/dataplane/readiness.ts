/**
 * When the server is ready. With startup loading on: once startup loading is
 * done and every registered model is READY. A model that failed to load (or
 * whose settings could not be read) stays registered and keeps the server
 * not ready; a model unloaded on purpose is no longer registered and no
 * longer counts, as in MLServer. If startup found no model at all, the
 * server is not ready until one loads (MLServer says ready with zero models,
 * which let KServe promote broken revisions). With startup loading off
 * (ModelMesh): as soon as the servers listen.
 *
 * @module
 */

/** What readiness needs to know of one registered model version. */
export interface RegisteredState {
  readonly state: string;
}

/** Tracks what readiness depends on; `server.ts` feeds it. */
export class Readiness {
  readonly #loadAtStartup: boolean;
  readonly #registered: () => readonly RegisteredState[];
  readonly #listeners: ((ready: boolean) => void)[] = [];
  #listening = false;
  #stopping = false;
  #startupFound: number | undefined;
  #last: boolean | undefined;

  /**
   * @param loadAtStartup `load_models_at_startup`
   * @param registered every registered model version, with its state
   */
  constructor(loadAtStartup: boolean, registered: () => readonly RegisteredState[]) {
    this.#loadAtStartup = loadAtStartup;
    this.#registered = registered;
  }

  /** Calls `listener` whenever readiness flips (after `changed()` or a mark). */
  onChange(listener: (ready: boolean) => void): void {
    this.#listeners.push(listener);
  }

  /** Records that every server listens. */
  markListening(): void {
    this.#listening = true;
    this.changed();
  }

  /** Records the end of startup loading and how many models it found. */
  markStartupDone(found: number): void {
    this.#startupFound = found;
    this.changed();
  }

  /** Records that the server is shutting down: not ready from now on. */
  markStopping(): void {
    this.#stopping = true;
    this.changed();
  }

  /** Re-evaluates readiness (a model changed state) and notifies on a flip. */
  changed(): void {
    const ready = this.ready;
    if (ready === this.#last) return;
    this.#last = ready;
    for (const listener of this.#listeners) listener(ready);
  }

  /** Whether the server is ready to serve. */
  get ready(): boolean {
    if (!this.#listening || this.#stopping) return false;
    if (!this.#loadAtStartup) return true;
    if (this.#startupFound === undefined) return false;
    const registered = this.#registered();
    if (registered.length === 0) return this.#startupFound > 0;
    return registered.every((model) => model.state === "READY");
  }
}
