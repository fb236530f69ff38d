/**
 * Pipeline and ColumnTransformer. A pipeline transforms through every step
 * but the last, then asks the last for predict / predict_proba / transform
 * (it has what its last step has, which is also what MLServer checks). A
 * column transformer hands each fitted transformer its columns (by name
 * when it was fitted on named columns and the request has names, else by
 * position), passes through or drops as fitted, and joins the results
 * left to right.
 *
 * @module
 */

import { InvalidRequestError } from "mlserver";
import { Attributes, describe, ModelFormatError } from "./attributes.ts";
import {
  type Cell,
  checkFeatureCount,
  type Estimator,
  type Frame,
  frameColumns,
  type Input,
  isFrame,
  type Matrix,
} from "./estimator.ts";
import { elements, NdArray } from "./ndarray.ts";
import { type PyObject, PySlice } from "./py_values.ts";

type Build = (value: unknown) => Estimator;

const isPassthrough = (step: unknown) => step === "passthrough" || step === null;

/** Pipeline. */
export function pipeline(obj: PyObject, build: Build): Estimator {
  const a = new Attributes(obj);
  const steps = a.list("steps").map((step, i) => {
    if (!Array.isArray(step) || step.length !== 2) {
      throw new ModelFormatError(`Pipeline: steps[${i}] is not a (name, estimator) pair`);
    }
    return { name: String(step[0]), estimator: step[1] as unknown };
  });
  if (steps.length === 0) throw new ModelFormatError("Pipeline: steps is empty");
  const transforms = steps.slice(0, -1).filter((s) => !isPassthrough(s.estimator)).map((s) => {
    const built = build(s.estimator);
    if (built.transform === undefined) {
      throw new ModelFormatError(`Pipeline: step '${s.name}' (${built.pyClass}) has no transform`);
    }
    return built;
  });
  const finalValue = steps[steps.length - 1]!.estimator;
  const last = isPassthrough(finalValue) ? undefined : build(finalValue);
  const run = (x: Input): Input => transforms.reduce((v, t) => t.transform!(v), x);
  const estimator: Estimator = { pyClass: a.pyClass, ...(last ? { lastStep: last } : {}) };
  if (last?.predict) estimator.predict = (x) => last.predict!(run(x));
  if (last?.predictProba) estimator.predictProba = (x) => last.predictProba!(run(x));
  if (last === undefined) estimator.transform = run;
  else if (last.transform) estimator.transform = (x) => last.transform!(run(x));
  return estimator;
}

/**
 * FunctionTransformer without a function: the identity. (ColumnTransformer
 * stores its fitted `passthrough` columns as one.) A FunctionTransformer
 * with a function cannot get here: the function is a global the
 * allow-list refuses.
 */
export function functionTransformer(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  if (a.get("func") !== null && a.get("func") !== undefined) {
    throw new ModelFormatError("FunctionTransformer: only the identity (func=None) is supported");
  }
  return { pyClass: a.pyClass, transform: (x) => x };
}

/** Column indices a fitted column specification selects (int, name, list, mask, slice). */
export function columnIndices(spec: unknown, names: string[] | undefined, count: number): number[] {
  const byName = (name: string) => {
    const i = names?.indexOf(name) ?? -1;
    if (i < 0) {
      throw new ModelFormatError(`ColumnTransformer: column '${name}' is not a fitted feature`);
    }
    return i;
  };
  const one = (v: unknown): number => {
    if (typeof v === "number") return v < 0 ? count + v : v;
    if (typeof v === "string") return byName(v);
    throw new ModelFormatError(`ColumnTransformer: cannot select a column by ${describe(v)}`);
  };
  if (spec instanceof NdArray) spec = elements(spec);
  if (spec instanceof PySlice) {
    // Name slices include their end, as pandas' .loc does; integer slices do not.
    const isNames = typeof spec.start === "string" || typeof spec.stop === "string";
    const start = spec.start === null ? 0 : one(spec.start);
    const stop = spec.stop === null ? count : one(spec.stop) + (isNames ? 1 : 0);
    const step = spec.step ?? 1;
    const out: number[] = [];
    for (let i = start; i < stop; i += step) out.push(i);
    return out;
  }
  if (Array.isArray(spec)) {
    if (spec.length > 0 && spec.every((v) => typeof v === "boolean")) {
      return spec.flatMap((v, i) => (v ? [i] : []));
    }
    return spec.map(one);
  }
  return [one(spec)];
}

interface Part {
  name: string;
  transformer: Estimator | "passthrough";
  indices: number[];
}

/** ColumnTransformer. */
export function columnTransformer(obj: PyObject, build: Build): Estimator {
  const a = new Attributes(obj);
  const features = a.features();
  const fittedNames = features.names;
  const count = features.count ?? fittedNames?.length ?? 0;
  const fittedIndices = a.get("_transformer_to_input_indices");
  const parts: Part[] = [];
  for (const [i, entry] of a.list("transformers_").entries()) {
    if (!Array.isArray(entry) || entry.length < 3) {
      throw new ModelFormatError(
        `ColumnTransformer: transformers_[${i}] is not a (name, transformer, columns) triple`,
      );
    }
    const [name, transformer, columns] = entry as [string, unknown, unknown];
    if (transformer === "drop") continue;
    const indices = fittedIndices instanceof Map && fittedIndices.has(name)
      ? (fittedIndices.get(name) as unknown[]).map(Number)
      : columnIndices(columns, fittedNames, count);
    if (indices.length === 0) continue;
    parts.push({
      name,
      transformer: transformer === "passthrough" ? "passthrough" : build(transformer),
      indices,
    });
  }
  for (const part of parts) {
    if (part.transformer !== "passthrough" && part.transformer.transform === undefined) {
      throw new ModelFormatError(`ColumnTransformer: '${part.name}' has no transform`);
    }
  }
  return {
    pyClass: a.pyClass,
    transform(x) {
      const columns = selectColumns(x, fittedNames, count);
      const outputs = parts.map((part) => {
        const sub: Frame = {
          rows: x.rows,
          columns: part.indices.map((i) => columns[i]!),
          names: fittedNames === undefined ? undefined : part.indices.map((i) => fittedNames[i]!),
        };
        return part.transformer === "passthrough" ? sub : part.transformer.transform!(sub);
      });
      return hstack(x.rows, outputs);
    },
  };
}

/** The input's columns in fitted order: by name when both sides have names. */
function selectColumns(x: Input, names: string[] | undefined, count: number) {
  if (isFrame(x) && x.names !== undefined && names !== undefined) {
    const byName = new Map(x.names.map((n, i) => [n, x.columns[i]!]));
    const missing = names.filter((n) => !byName.has(n));
    if (missing.length > 0) {
      throw new InvalidRequestError(`columns are missing: ${missing.join(", ")}`);
    }
    return names.map((n) => byName.get(n)!);
  }
  const columns = frameColumns(x, {
    name: "ColumnTransformer",
    count: undefined,
    names: undefined,
  });
  checkFeatureCount(columns.length, { name: "ColumnTransformer", count, names: undefined });
  return columns;
}

/** `np.hstack` of the parts: numbers stay a matrix; any text makes a frame. */
function hstack(rows: number, parts: Input[]): Input {
  if (parts.every((p) => !isFrame(p) || p.columns.every((c) => c instanceof Float64Array))) {
    const matrices = parts.map((p): Matrix => (isFrame(p) ? frameToMatrix(p) : p));
    const cols = matrices.reduce((s, m) => s + m.cols, 0);
    const data = new Float64Array(rows * cols);
    let offset = 0;
    for (const m of matrices) {
      for (let r = 0; r < rows; r++) {
        data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), r * cols + offset);
      }
      offset += m.cols;
    }
    const float32 = matrices.length > 0 && matrices.every((m) => m.float32 === true);
    return { rows, cols, data, float32 };
  }
  const columns: (Float64Array | readonly Cell[])[] = [];
  for (const p of parts) {
    columns.push(
      ...frameColumns(p, { name: "ColumnTransformer", count: undefined, names: undefined }),
    );
  }
  return { rows, columns, names: undefined };
}

function frameToMatrix(f: Frame): Matrix {
  const cols = f.columns.length;
  const data = new Float64Array(f.rows * cols);
  f.columns.forEach((column, c) => {
    for (let r = 0; r < f.rows; r++) data[r * cols + c] = column[r] as number;
  });
  return { rows: f.rows, cols, data };
}
