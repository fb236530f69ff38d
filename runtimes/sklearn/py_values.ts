/**
 * What the pickle reader builds: plain data standing for Python values.
 * `None` is `null`, `bool` a boolean, `int` a number (a `bigint` past 2^53),
 * `float` a number, `str` a string, `bytes`/`bytearray` a `Uint8Array`,
 * `list` and `tuple` arrays, `dict` a `Map`, `set`/`frozenset` a `Set`.
 * An instance of an allowed class is a `PyObject`: its class name, the
 * arguments it was created with and the state `__setstate__` would have
 * received. Nothing here runs Python code; it only records what a pickle
 * says.
 *
 * @module
 */

/** A reference to an allowed module-level name, as `GLOBAL` names it. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}

  /** `module.name`, the spelling used in messages. */
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of an allowed class: how it was built, never run. */
export class PyObject {
  /** The `BUILD` state (usually a `Map` of attributes), if one came. */
  state: unknown = undefined;
  /** Items appended to it (a list subclass), in order. */
  readonly listItems: unknown[] = [];
  /** Items set on it (a dict subclass). */
  readonly dictItems = new Map<unknown, unknown>();

  constructor(
    readonly cls: PyGlobal,
    readonly args: readonly unknown[],
    readonly kwargs: ReadonlyMap<unknown, unknown> = new Map(),
  ) {}

  /** The class's short name (`LinearRegression`). */
  get className(): string {
    return this.cls.name;
  }

  /** The instance's `__dict__`: the state's dict, or its first half for `(dict, slots)`. */
  get attributes(): ReadonlyMap<unknown, unknown> {
    const state = this.state;
    if (state instanceof Map) return state;
    if (Array.isArray(state) && state.length === 2) {
      const merged = new Map<unknown, unknown>();
      for (const part of state) {
        if (part instanceof Map) { for (const [k, v] of part) merged.set(k, v); }
      }
      return merged;
    }
    return new Map();
  }
}

/** A Python `slice(start, stop, step)`. */
export class PySlice {
  constructor(
    readonly start: number | null,
    readonly stop: number | null,
    readonly step: number | null,
  ) {}
}
