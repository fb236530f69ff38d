/**
 * The allow-list: the only globals a scikit-learn pickle may name here, and
 * how each is rebuilt as data. numpy's array and dtype reconstructors,
 * joblib's array wrapper (whose bytes follow in the file), `copyreg`'s
 * object reconstructors, a few builtins for plain containers, and the
 * scikit-learn classes this runtime evaluates. Every other global is
 * refused with an error that names it; nothing is ever imported or called.
 *
 * @module
 */

import { DType, fromBuffer, NdArray, scalarOf } from "./ndarray.ts";
import { type GlobalResolver, type GlobalSpec, readPickle } from "./pickle_reader.ts";
import { PyGlobal, PyObject, PySlice } from "./py_values.ts";

/** A global the allow-list refuses; `qualified` is its `module.name`. */
export class RefusedGlobalError extends Error {
  constructor(readonly qualified: string, message: string) {
    super(message);
    this.name = "RefusedGlobalError";
  }
}

/** Instances of the class are kept as `PyObject`s: arguments and state, nothing run. */
function dataClass(module: string, name: string): GlobalSpec {
  const ref = new PyGlobal(module, name);
  return { call: (args, kwargs) => new PyObject(ref, args, kwargs) };
}

/** A class that may appear as a value (e.g. `dtype=numpy.float64`) but is never called. */
function typeOnly(qualified: string): GlobalSpec {
  return {
    call() {
      throw new RefusedGlobalError(
        qualified,
        `The pickle calls ${qualified}, which is not allowed`,
      );
    },
  };
}

function arg<T>(args: unknown[], i: number, check: (v: unknown) => v is T, what: string): T {
  const value = args[i];
  if (!check(value)) throw new Error(`Malformed pickle: ${what}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isGlobal = (v: unknown): v is PyGlobal => v instanceof PyGlobal;

const NUMPY_MODULES = ["numpy.core.multiarray", "numpy._core.multiarray"];
const NUMERIC_MODULES = ["numpy.core.numeric", "numpy._core.numeric"];
const NUMPY_TYPES = [
  "bool_",
  "int8",
  "int16",
  "int32",
  "int64",
  "intc",
  "intp",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float16",
  "float32",
  "float64",
  "longlong",
  "object_",
  "str_",
  "bytes_",
];

const FIXED: Record<string, GlobalSpec> = {
  "numpy.ndarray": typeOnly("numpy.ndarray"),
  "numpy.dtype": {
    call: (args) => new DType(arg(args, 0, isString, "numpy.dtype needs a type string")),
  },
  "copyreg._reconstructor": {
    call(args) {
      const cls = arg(args, 0, isGlobal, "copyreg._reconstructor needs a class");
      const base = args[1];
      if (!(base instanceof PyGlobal) || base.qualified !== "builtins.object") {
        throw new RefusedGlobalError(
          base instanceof PyGlobal ? base.qualified : "copyreg._reconstructor",
          "copyreg._reconstructor is allowed only with base builtins.object",
        );
      }
      return newInstance(cls, []);
    },
  },
  "copyreg.__newobj__": {
    call: (args) => newInstance(arg(args, 0, isGlobal, "__newobj__ needs a class"), args.slice(1)),
  },
  "copyreg.__newobj_ex__": {
    call(args) {
      const cls = arg(args, 0, isGlobal, "__newobj_ex__ needs a class");
      const kwargs = args[2] instanceof Map ? args[2] : new Map();
      return newInstance(cls, Array.isArray(args[1]) ? args[1] : [], kwargs);
    },
  },
  "builtins.object": typeOnly("builtins.object"),
  "builtins.set": { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) },
  "builtins.frozenset": { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) },
  "builtins.bytearray": { call: (args) => bytesOf(args) },
  "builtins.bytes": { call: (args) => bytesOf(args) },
  "builtins.slice": {
    call: (args) => new PySlice(int(args[0]), int(args[1]), int(args[2])),
  },
  "builtins.float": typeOnly("builtins.float"),
  "builtins.int": typeOnly("builtins.int"),
  "builtins.str": typeOnly("builtins.str"),
  "builtins.bool": typeOnly("builtins.bool"),
  "builtins.dict": typeOnly("builtins.dict"),
  "builtins.list": typeOnly("builtins.list"),
  "builtins.tuple": typeOnly("builtins.tuple"),
  "collections.OrderedDict": {
    call: (args) =>
      new Map(Array.isArray(args[0]) ? args[0].map((kv) => kv as [unknown, unknown]) : []),
  },
  // Protocol 2 writes bytes as _codecs.encode(text, "latin1").
  "_codecs.encode": {
    call(args) {
      const text = arg(args, 0, isString, "_codecs.encode needs a string");
      const encoding = String(args[1] ?? "utf-8").toLowerCase().replace("-", "");
      if (encoding !== "latin1") {
        return new TextEncoder().encode(text);
      }
      return Uint8Array.from(text, (c) => c.charCodeAt(0));
    },
  },
  "joblib.numpy_pickle.NumpyArrayWrapper": joblibWrapper("joblib.numpy_pickle"),
  "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper": joblibWrapper(
    "sklearn.externals.joblib.numpy_pickle",
  ),
};
for (const module of NUMPY_MODULES) {
  FIXED[`${module}._reconstruct`] = {
    call(args) {
      const cls = args[0];
      if (!(cls instanceof PyGlobal) || cls.qualified !== "numpy.ndarray") {
        const name = cls instanceof PyGlobal ? cls.qualified : "an unknown class";
        throw new RefusedGlobalError(name, `numpy arrays of class ${name} are not supported`);
      }
      return new NdArray();
    },
  };
  FIXED[`${module}.scalar`] = {
    call(args) {
      const dtype = args[0];
      if (!(dtype instanceof DType)) throw new Error("Malformed pickle: scalar needs a dtype");
      return scalarOf(dtype, args[1]);
    },
  };
}
for (const module of NUMERIC_MODULES) {
  FIXED[`${module}._frombuffer`] = {
    call: (args) => fromBuffer(args[0], args[1], args[2], args[3]),
  };
}
for (const name of NUMPY_TYPES) FIXED[`numpy.${name}`] = typeOnly(`numpy.${name}`);
// A `random_state` given as a numpy RandomState pickles its generator; it is kept as data.
for (
  const qualified of [
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random.mtrand.RandomState",
    "numpy.random._mt19937.MT19937",
  ]
) {
  const dot = qualified.lastIndexOf(".");
  FIXED[qualified] = dataClass(qualified.slice(0, dot), qualified.slice(dot + 1));
}

function int(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function bytesOf(args: unknown[]): Uint8Array {
  const value = args[0];
  if (value === undefined) return new Uint8Array();
  if (value instanceof Uint8Array) return value.slice();
  if (typeof value === "string") return Uint8Array.from(value, (c) => c.charCodeAt(0));
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new Error("Malformed pickle: bytes() of an unexpected value");
}

/** Instances made by copyreg's helpers: only of classes the resolver allowed. */
function newInstance(
  cls: PyGlobal,
  args: unknown[],
  kwargs: ReadonlyMap<unknown, unknown> = new Map(),
): PyObject {
  return new PyObject(cls, args, kwargs);
}

/**
 * joblib writes each numpy array as a `NumpyArrayWrapper` object followed by
 * the array's bytes (after a padding length byte and padding, since joblib
 * 1.2), or, for object arrays, by a nested protocol-2 pickle of the array.
 */
function joblibWrapper(module: string): GlobalSpec {
  const ref = new PyGlobal(module, "NumpyArrayWrapper");
  const spec: GlobalSpec = {
    call: (args, kwargs) => new PyObject(ref, args, kwargs),
    afterBuild(built, stream, resolve) {
      const attributes = built.attributes;
      const dtype = attributes.get("dtype");
      const shape = attributes.get("shape");
      if (!(dtype instanceof DType) || !Array.isArray(shape)) {
        throw new Error("Malformed joblib file: a NumpyArrayWrapper has no dtype or shape");
      }
      if (dtype.kind === "O") {
        const nested = readPickle(stream, { resolve });
        if (!(nested instanceof NdArray)) {
          throw new Error("Malformed joblib file: an object array is not an array");
        }
        return nested;
      }
      if (typeof attributes.get("numpy_array_alignment_bytes") === "number") {
        stream.read(stream.u8());
      }
      const dims = shape.map(Number);
      const count = dims.reduce((a, b) => a * b, 1);
      const array = new NdArray();
      array.setContents(
        dtype,
        dims,
        attributes.get("order") === "F",
        stream.read(count * dtype.itemsize),
      );
      return array;
    },
  };
  return spec;
}

/** What the resolver needs to know about scikit-learn classes. */
export interface SklearnClasses {
  /** Whether a scikit-learn class (by its short name) may be rebuilt. */
  has(name: string): boolean;
}

/**
 * The resolver for scikit-learn pickles: fixed numpy/joblib/builtin entries,
 * plus every `sklearn.*` class whose name `sklearn` knows (the module path
 * is not checked past `sklearn.`: scikit-learn moves classes between
 * private modules across versions, as `linear_model.logistic` became
 * `linear_model._logistic` in 0.22).
 */
export function sklearnResolver(sklearn: SklearnClasses): GlobalResolver {
  const resolve: GlobalResolver = (module, name) => {
    const qualified = `${module}.${name}`;
    const fixed = FIXED[qualified];
    if (fixed !== undefined) return fixed;
    if (module === "sklearn" || module.startsWith("sklearn.")) {
      if (sklearn.has(name)) return dataClass(module, name);
      throw new RefusedGlobalError(
        qualified,
        `scikit-learn class ${qualified} is not supported by this runtime; ` +
          `export the model to ONNX (skl2onnx) and serve it with an ONNX runtime`,
      );
    }
    if (qualified.endsWith("numpy_pickle_compat.NDArrayWrapper")) {
      throw new RefusedGlobalError(
        qualified,
        `The file was written by joblib before 0.10 (${qualified}, arrays in separate files); ` +
          `load it with joblib and dump it again`,
      );
    }
    throw new RefusedGlobalError(
      qualified,
      `The pickle references ${qualified}, which is not on the allow-list of scikit-learn, ` +
        `numpy and joblib names (in Python, loading this file would import and may run it)`,
    );
  };
  return resolve;
}
