/**
 * Splits LightGBM's text model format (what `Booster.save_model()` writes,
 * MLServer's `model.bst`) into its parts, as LightGBM's own loader reads it:
 * the `tree` line, header `key=value` lines up to the first `Tree=`, one
 * block of `key=value` lines per tree ended by a blank line, then
 * `end of trees`, feature importances, a `parameters:` section and the
 * Python package's `pandas_categorical:` line. Nothing is interpreted here
 * beyond that layout; `trees.ts` and `objectives.ts` give the fields meaning.
 *
 * @module
 */

/** A model file that is not LightGBM's text format, or breaks its rules. */
export class ModelFormatError extends Error {}

/** The parts of a model file, each field still as its text. */
export interface ModelText {
  /** Header fields (`num_class`, `objective`, `feature_names`...); a bare key maps to "". */
  header: Map<string, string>;
  /** Each tree's fields, in file order. */
  trees: Map<string, string>[];
  /** `[name: value]` lines of the `parameters:` section (training settings, for information). */
  parameters: Map<string, string>;
}

/** Splits the text of a model file into header, trees and parameters. */
export function parseModelText(text: string): ModelText {
  const lines = text.split(/\r?\n|\r/);
  let at = 0;
  while (at < lines.length && lines[at]!.trim() === "") at++;
  if (lines[at]?.trim() !== "tree") {
    const start = (lines[at] ?? "").trimStart();
    const hint = start.startsWith("{")
      ? " (JSON is not LightGBM's model format: save the model with booster.save_model())"
      : "";
    throw new ModelFormatError(`not a LightGBM text model: the first line is not 'tree'${hint}`);
  }
  const header = new Map<string, string>();
  for (at++; at < lines.length && !lines[at]!.startsWith("Tree="); at++) {
    const line = lines[at]!;
    if (line === "") continue;
    if (line === "end of trees" || line === "parameters:") break;
    const eq = line.indexOf("=");
    header.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? "" : line.slice(eq + 1));
  }
  const trees: Map<string, string>[] = [];
  while (at < lines.length && lines[at]!.startsWith("Tree=")) {
    const expected = `Tree=${trees.length}`;
    if (lines[at] !== expected) {
      throw new ModelFormatError(`expected '${expected}' at line ${at + 1}, found '${lines[at]}'`);
    }
    const fields = new Map<string, string>();
    for (at++; at < lines.length && lines[at] !== ""; at++) {
      const line = lines[at]!;
      const eq = line.indexOf("=");
      if (eq < 0) {
        throw new ModelFormatError(`tree ${trees.length}: line ${at + 1} is not key=value`);
      }
      fields.set(line.slice(0, eq), line.slice(eq + 1));
    }
    trees.push(fields);
    while (at < lines.length && lines[at] === "") at++;
  }
  if (trees.length === 0) throw new ModelFormatError("the file holds no trees ('Tree=0' missing)");
  return { header, trees, parameters: parseParameters(lines, at) };
}

function parseParameters(lines: string[], from: number): Map<string, string> {
  const parameters = new Map<string, string>();
  const start = lines.indexOf("parameters:", from);
  if (start < 0) return parameters;
  for (let at = start + 1; at < lines.length && lines[at] !== "end of parameters"; at++) {
    const match = /^\[([^:\]]+): ?(.*)\]$/.exec(lines[at]!);
    if (match !== null) parameters.set(match[1]!, match[2]!);
  }
  return parameters;
}

/**
 * Parses one number as LightGBM writes it (`%.17g`, so also `inf`, `-inf`,
 * `nan`), or undefined when `token` is none.
 */
export function parseNumber(token: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(token)) return Number(token);
  const word = token.toLowerCase().replace(/^\+/, "");
  if (word === "inf" || word === "infinity") return Infinity;
  if (word === "-inf" || word === "-infinity") return -Infinity;
  if (word === "nan" || word === "-nan" || word === "na") return NaN;
  return undefined;
}

/** Whitespace-separated tokens; LightGBM pads linear-tree lists with extra spaces. */
export function tokens(value: string): string[] {
  return value.split(/\s+/).filter((t) => t !== "");
}

/** A field of `count` numbers (`count` undefined: any length). */
export function numberList(
  fields: Map<string, string>,
  key: string,
  options: { count?: number | undefined; where: string },
): number[] {
  const value = fields.get(key);
  if (value === undefined) throw new ModelFormatError(`${options.where}: no ${key} field`);
  const list = tokens(value).map((token) => {
    const n = parseNumber(token);
    if (n === undefined) {
      throw new ModelFormatError(
        `${options.where}: ${key} has a value that is not a number ('${token}')`,
      );
    }
    return n;
  });
  if (options.count !== undefined && list.length !== options.count) {
    throw new ModelFormatError(
      `${options.where}: ${key} has ${list.length} values, expected ${options.count}`,
    );
  }
  return list;
}

/** Like `numberList`, for fields of whole numbers (indexes, counts, bit words). */
export function integerList(
  fields: Map<string, string>,
  key: string,
  options: { count?: number | undefined; where: string },
): number[] {
  const list = numberList(fields, key, options);
  const bad = list.find((n) => !Number.isInteger(n));
  if (bad !== undefined) {
    throw new ModelFormatError(
      `${options.where}: ${key} has a value that is not an integer (${bad})`,
    );
  }
  return list;
}

/** One whole number field, required. */
export function integerField(fields: Map<string, string>, key: string, where: string): number {
  const [value] = integerList(fields, key, { count: 1, where });
  return value!;
}
