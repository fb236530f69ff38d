/**
 * When the server is ready. With startup loading on: once startup loading is
 * done, at least one model was found, and every model it tried is READY
 * (MLServer says ready with zero models, which let KServe promote broken
 * revisions). With startup loading off (ModelMesh): as soon as the servers
 * listen.
 *
 * @module
 */

/** One model version that startup loading tried. */
export interface StartupTarget {
  name: string;
  version: string;
}

/** Tracks what readiness depends on; `server.ts` feeds it. */
export class Readiness {
  readonly #loadAtStartup: boolean;
  readonly #isReady: (target: StartupTarget) => boolean;
  readonly #listeners: ((ready: boolean) => void)[] = [];
  #listening = false;
  #targets: readonly StartupTarget[] | undefined;
  #last: boolean | undefined;

  /**
   * @param loadAtStartup `load_models_at_startup`
   * @param isReady whether one model version is READY now
   */
  constructor(loadAtStartup: boolean, isReady: (target: StartupTarget) => boolean) {
    this.#loadAtStartup = loadAtStartup;
    this.#isReady = isReady;
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

  /** Records the end of startup loading and which models it tried. */
  markStartupDone(targets: readonly StartupTarget[]): void {
    this.#targets = targets;
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
    if (!this.#listening) return false;
    if (!this.#loadAtStartup) return true;
    const targets = this.#targets;
    return targets !== undefined && targets.length > 0 && targets.every(this.#isReady);
  }
}
