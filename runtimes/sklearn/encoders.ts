/**
 * OneHotEncoder and OrdinalEncoder: each column's value is looked up in its
 * fitted `categories_` (numbers by value, text exactly, a missing value as
 * the NaN/None category when one was fitted). Unknown values follow
 * `handle_unknown` (an error is a 400 naming them); OneHotEncoder also
 * groups infrequent categories and drops the `drop_idx_` columns as
 * scikit-learn 1.1+ does. Outputs are dense: a sparse matrix and its dense
 * form hold the same numbers.
 *
 * @module
 */

import { InvalidRequestError } from "mlserver";
import { Attributes, ModelFormatError } from "./attributes.ts";
import { type Cell, type Estimator, frameColumns, type Input } from "./estimator.ts";
import { elements, NdArray } from "./ndarray.ts";
import { PyGlobal, type PyObject } from "./py_values.ts";

/** The lookup of one column's categories. */
interface Categories {
  index: Map<unknown, number>;
  numeric: boolean;
  values: unknown[];
}

function categoriesOf(list: unknown[], name: string): Categories[] {
  return list.map((item, i) => {
    if (!(item instanceof NdArray)) {
      throw new ModelFormatError(`${name}: categories_[${i}] is not an array`);
    }
    const values = elements(item);
    const index = new Map<unknown, number>();
    values.forEach((v, k) => index.set(v === undefined ? null : v, k));
    return {
      index,
      numeric: item.dtype.kind !== "O" && item.dtype.kind !== "U" && item.dtype.kind !== "S",
      values,
    };
  });
}

/** The category index of a value, or -1 when unknown. */
function lookup(cats: Categories, value: Cell | number): number {
  if (value === null || (typeof value === "number" && Number.isNaN(value))) {
    return cats.index.get(NaN) ?? cats.index.get(null) ?? -1;
  }
  if (cats.numeric) {
    const n = typeof value === "string" ? Number(value) : Number(value);
    return Number.isNaN(n) ? -1 : cats.index.get(n) ?? -1;
  }
  return cats.index.get(typeof value === "bigint" ? Number(value) : value) ?? -1;
}

/** `_transform`: category codes, and which cells were known. */
function encode(x: Input, a: Attributes, cats: Categories[], unknownIsError: boolean) {
  const columns = frameColumns(x, { ...a.features(), count: cats.length });
  const rows = x.rows;
  const codes = new Int32Array(rows * cats.length);
  const known = new Uint8Array(rows * cats.length).fill(1);
  columns.forEach((column, c) => {
    const unknown: unknown[] = [];
    for (let r = 0; r < rows; r++) {
      const code = lookup(cats[c]!, column[r] ?? null);
      if (code < 0) {
        unknown.push(column[r]);
        known[r * cats.length + c] = 0;
        codes[r * cats.length + c] = 0;
      } else {
        codes[r * cats.length + c] = code;
      }
    }
    if (unknown.length > 0 && unknownIsError) {
      throw new InvalidRequestError(
        `Found unknown categories ${
          JSON.stringify([...new Set(unknown)])
        } in column ${c} during transform`,
      );
    }
  });
  return { rows, codes, known };
}

function outputIsFloat32(a: Attributes): boolean {
  const dtype = a.get("dtype");
  return dtype instanceof PyGlobal && dtype.qualified === "numpy.float32";
}

/** Per feature: an index array or None (scikit-learn's lists of optional arrays). */
function optionalIndexLists(value: unknown, n: number): (number[] | undefined)[] {
  if (value === undefined || value === null) return new Array(n).fill(undefined);
  const items = value instanceof NdArray ? elements(value) : value as unknown[];
  return items.map((v) => (v instanceof NdArray ? elements(v).map(Number) : undefined));
}

/** OneHotEncoder. */
export function oneHotEncoder(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const cats = categoriesOf(a.list("categories_"), a.name);
  const n = cats.length;
  const handleUnknown = a.optionalString("handle_unknown", "error");
  const infrequentEnabled = a.boolean("_infrequent_enabled", false);
  const infrequent = infrequentEnabled ? optionalIndexLists(a.get("_infrequent_indices"), n) : [];
  const mappings = infrequentEnabled
    ? optionalIndexLists(a.get("_default_to_infrequent_mappings"), n)
    : [];
  const dropValue = a.has("_drop_idx_after_grouping")
    ? a.get("_drop_idx_after_grouping")
    : a.get("drop_idx_");
  const drop: (number | undefined)[] = dropValue instanceof NdArray
    ? elements(dropValue).map((v) => (v === null ? undefined : Number(v)))
    : new Array(n).fill(undefined);
  const widths = a.has("_n_features_outs")
    ? a.list("_n_features_outs").map(Number)
    : cats.map((c, i) =>
      c.values.length - (infrequent[i] ? infrequent[i]!.length - 1 : 0) -
      (drop[i] !== undefined ? 1 : 0)
    );
  const offsets = widths.map((_, i) => widths.slice(0, i).reduce((s, w) => s + w, 0));
  const total = widths.reduce((s, w) => s + w, 0);
  const float32 = outputIsFloat32(a);

  return {
    pyClass: a.pyClass,
    transform(x) {
      const { rows, codes, known } = encode(x, a, cats, handleUnknown === "error");
      const data = new Float64Array(rows * total);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < n; c++) {
          const at = r * n + c;
          let code = codes[at]!;
          let valid = known[at] === 1;
          const infrequentIdx = infrequent[c];
          if (infrequentIdx !== undefined) {
            if (!valid) code = infrequentIdx[0]!;
            if (handleUnknown === "infrequent_if_exist") valid = true;
          }
          const mapping = mappings[c];
          if (mapping !== undefined) code = mapping[code]!;
          const dropped = drop[c];
          if (dropped !== undefined) {
            if (code === dropped) valid = false;
            else if (code > dropped) code -= 1;
          }
          if (valid) data[r * total + offsets[c]! + code] = 1;
        }
      }
      return { rows, cols: total, data, float32 };
    },
  };
}

/** OrdinalEncoder: category codes as numbers, with its unknown and missing values. */
export function ordinalEncoder(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const cats = categoriesOf(a.list("categories_"), a.name);
  const handleUnknown = a.optionalString("handle_unknown", "error");
  const unknownValue = handleUnknown === "use_encoded_value" ? a.number("unknown_value") : NaN;
  const missingIndices = a.get("_missing_indices");
  const encodedMissing = a.has("encoded_missing_value")
    ? a.optionalNumber("encoded_missing_value", NaN)
    : NaN;
  const missing = new Map<number, number>(
    missingIndices instanceof Map
      ? [...missingIndices].map(([k, v]) => [Number(k), Number(v)])
      : [],
  );
  const float32 = outputIsFloat32(a);
  return {
    pyClass: a.pyClass,
    transform(x) {
      const { rows, codes, known } = encode(x, a, cats, handleUnknown === "error");
      const n = cats.length;
      const data = new Float64Array(rows * n);
      for (let i = 0; i < data.length; i++) {
        const c = i % n;
        data[i] = known[i] === 0
          ? unknownValue
          : missing.get(c) === codes[i]
          ? encodedMissing
          : codes[i]!;
      }
      return { rows, cols: n, data, float32 };
    },
  };
}

export const ENCODERS = { OneHotEncoder: oneHotEncoder, OrdinalEncoder: ordinalEncoder };
