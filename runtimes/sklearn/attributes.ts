/**
 * Typed access to a pickled object's attributes, failing with the class and
 * attribute names when the pickle does not hold what a fitted scikit-learn
 * estimator of that class must hold.
 *
 * @module
 */

import { elements, NdArray, toFloat64 } from "./ndarray.ts";
import { PyObject } from "./py_values.ts";
import type { FeatureSpec } from "./estimator.ts";

/** A load-time problem with a pickled estimator's contents. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelFormatError";
  }
}

/** The attributes of one pickled object. */
export class Attributes {
  readonly obj: PyObject;
  readonly #map: ReadonlyMap<unknown, unknown>;

  constructor(obj: PyObject) {
    this.obj = obj;
    this.#map = obj.attributes;
  }

  /** `module.Name` of the object's class. */
  get pyClass(): string {
    return this.obj.cls.qualified;
  }

  /** The class's short name. */
  get name(): string {
    return this.obj.cls.name;
  }

  /** Whether the attribute is set. */
  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** The raw value, or undefined. */
  get(key: string): unknown {
    return this.#map.get(key);
  }

  #fail(key: string, what: string): never {
    const fitted = key.endsWith("_") ? " (is the estimator fitted?)" : "";
    throw new ModelFormatError(`${this.name}: attribute ${key} ${what}${fitted}`);
  }

  /** A required attribute of any type. */
  required(key: string): unknown {
    if (!this.#map.has(key)) this.#fail(key, "is missing");
    return this.#map.get(key);
  }

  /** A number (numpy scalars are read as numbers; booleans as 0/1). */
  number(key: string): number {
    const v = this.required(key);
    if (typeof v === "number") return v;
    if (typeof v === "bigint" || typeof v === "boolean") return Number(v);
    if (v instanceof NdArray && v.size === 1) return toFloat64(v)[0]!;
    return this.#fail(key, `is not a number (${describe(v)})`);
  }

  /** A number, or `fallback` when absent or None. */
  optionalNumber(key: string, fallback: number): number {
    const v = this.#map.get(key);
    return v === undefined || v === null ? fallback : this.number(key);
  }

  /** A string. */
  string(key: string): string {
    const v = this.required(key);
    return typeof v === "string" ? v : this.#fail(key, `is not a string (${describe(v)})`);
  }

  /** A string, or `fallback` when absent. */
  optionalString(key: string, fallback: string): string {
    return this.#map.has(key) ? this.string(key) : fallback;
  }

  /** A boolean. */
  boolean(key: string, fallback?: boolean): boolean {
    if (!this.#map.has(key) && fallback !== undefined) return fallback;
    const v = this.required(key);
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0;
    return this.#fail(key, `is not a boolean (${describe(v)})`);
  }

  /** A numpy array. */
  array(key: string): NdArray {
    const v = this.required(key);
    return v instanceof NdArray ? v : this.#fail(key, `is not a numpy array (${describe(v)})`);
  }

  /** A numpy array's values as float64 (a scalar becomes one value). */
  floats(key: string): Float64Array {
    const v = this.required(key);
    if (typeof v === "number") return Float64Array.of(v);
    return toFloat64(this.array(key));
  }

  /** A float64 array checked to hold `length` values. */
  floatsOfLength(key: string, length: number): Float64Array {
    const values = this.floats(key);
    if (values.length !== length) {
      this.#fail(key, `has ${values.length} values, expected ${length}`);
    }
    return values;
  }

  /** A pickled object, optionally of one of the given class names. */
  object(key: string, ...classes: string[]): PyObject {
    const v = this.required(key);
    if (!(v instanceof PyObject)) return this.#fail(key, `is not an object (${describe(v)})`);
    if (classes.length > 0 && !classes.includes(v.className)) {
      this.#fail(key, `is a ${v.className}, expected ${classes.join(" or ")}`);
    }
    return v;
  }

  /** A list or tuple. */
  list(key: string): unknown[] {
    const v = this.required(key);
    return Array.isArray(v) ? v : this.#fail(key, `is not a list (${describe(v)})`);
  }

  /** The feature checks scikit-learn applies before predicting. */
  features(): FeatureSpec {
    const count = this.#map.has("n_features_in_")
      ? this.number("n_features_in_")
      : this.#map.has("n_features_")
      ? this.number("n_features_")
      : undefined;
    const names = this.#map.get("feature_names_in_");
    return {
      name: this.name,
      count,
      names: names instanceof NdArray ? elements(names).map(String) : undefined,
    };
  }
}

/** A short description of a value, for messages. */
export function describe(value: unknown): string {
  if (value === null) return "None";
  if (value instanceof NdArray) {
    return `array of dtype ${value.dtype.str} and shape [${value.shape}]`;
  }
  if (value instanceof PyObject) return value.cls.qualified;
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (value instanceof Map) return "dict";
  return typeof value;
}
