/**
 * The envelope of an inference request: every rule about its id, parameters,
 * inputs (names, datatypes, shapes) and requested outputs, written once and
 * used by both transports (REST checks the parsed JSON, gRPC the decoded
 * message before any tensor data is decoded). Tensor `data` is left to the
 * decoders, which check it against the shape in the same pass that decodes
 * it.
 *
 * One walker serves two modes. On the hot path it stops at the first problem
 * and allocates nothing. Only when that says no does it walk again to
 * describe the problems: the first few with their JSON paths, then a count
 * of the rest, so a body with a million bad inputs gets a short answer for
 * little work.
 *
 * @module
 */

import { clip, InvalidRequestError } from "../errors.ts";
import { type Datatype, DATATYPES, isDatatype, MAX_DIMENSIONS } from "./datatypes.ts";
import type { Parameters } from "./types.ts";

/** Longest id, input name or output name accepted. */
export const MAX_NAME_LENGTH = 1024;
/** Problems described in one error message; the rest are counted. */
export const MAX_PROBLEMS = 10;

/** One input of a checked envelope (`data` not yet decoded). */
export interface EnvelopeInput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters;
  data?: unknown;
}

/** One requested output of a checked envelope. */
export interface EnvelopeOutput {
  name: string;
  parameters?: Parameters;
}

/** An inference request whose envelope passed `checkEnvelope`. */
export interface Envelope {
  id?: string;
  parameters?: Parameters;
  inputs: EnvelopeInput[];
  outputs?: EnvelopeOutput[];
}

/**
 * Checks an inference request's envelope.
 *
 * @returns the body, typed, when it is valid
 * @throws {InvalidRequestError} listing the first problems with their paths
 */
export function checkEnvelope(body: unknown): Envelope {
  if (walk(body, undefined)) return body as Envelope;
  const problems = new Problems();
  walk(body, problems);
  throw new InvalidRequestError(`Invalid inference request: ${problems.describe()}`);
}

/** Whether `body` is a valid envelope (no allocation, stops at the first problem). */
export function isValidEnvelope(body: unknown): body is Envelope {
  return walk(body, undefined);
}

/** Collects problem descriptions, keeping only the first `MAX_PROBLEMS`. */
class Problems {
  readonly #first: string[] = [];
  #count = 0;

  /** Whether further problems are only counted (callers may skip building their paths). */
  get full(): boolean {
    return this.#count >= MAX_PROBLEMS;
  }

  add(path: string, problem: string): void {
    if (this.#count++ < MAX_PROBLEMS) {
      this.#first.push(path === "" ? problem : `${path}: ${problem}`);
    }
  }

  describe(): string {
    const more = this.#count - this.#first.length;
    return this.#first.join("; ") + (more > 0 ? `; and ${more} more problem(s)` : "");
  }
}

const DATATYPE_LIST = DATATYPES.join(", ");

/**
 * The rules. With `problems` undefined, returns false at the first problem;
 * otherwise records every problem (paths are only built in that mode).
 */
function walk(body: unknown, problems: Problems | undefined): boolean {
  if (!isObject(body)) {
    problems?.add("", "expected a JSON object");
    return false;
  }
  let ok = true;
  const { id, parameters, inputs, outputs } = body;
  if (id !== undefined && !isName(id)) {
    if (problems === undefined) return false;
    problems.add("id", nameProblem(id));
    ok = false;
  }
  if (parameters !== undefined && !checkParameters(parameters, "parameters", problems)) {
    if (problems === undefined) return false;
    ok = false;
  }
  if (!Array.isArray(inputs)) {
    problems?.add("inputs", inputs === undefined ? "required but missing" : "expected a list");
    return false;
  }
  for (let i = 0; i < inputs.length; i++) {
    if (!checkInput(inputs[i], i, problems)) {
      if (problems === undefined) return false;
      ok = false;
    }
  }
  if (ok && !checkUniqueNames(inputs as { name: string }[], problems)) {
    if (problems === undefined) return false;
    ok = false;
  }
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) {
      problems?.add("outputs", "expected a list");
      return false;
    }
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs[i];
      const where = problems === undefined || problems.full ? "" : `outputs[${i}]`;
      if (!isObject(output)) {
        if (problems === undefined) return false;
        problems.add(where, "expected an object");
        ok = false;
        continue;
      }
      if (!isName(output.name)) {
        if (problems === undefined) return false;
        problems.add(`${where}.name`, nameProblem(output.name));
        ok = false;
      }
      if (
        output.parameters !== undefined &&
        !checkParameters(output.parameters, `${where}.parameters`, problems)
      ) {
        if (problems === undefined) return false;
        ok = false;
      }
    }
  }
  return ok;
}

function checkInput(input: unknown, index: number, problems: Problems | undefined): boolean {
  // Past the first problems only the count matters: no path strings for a million inputs.
  const where = problems === undefined || problems.full ? "" : `inputs[${index}]`;
  if (!isObject(input)) {
    problems?.add(where, "expected an object");
    return false;
  }
  let ok = true;
  if (!isName(input.name)) {
    if (problems === undefined) return false;
    problems.add(`${where}.name`, nameProblem(input.name));
    ok = false;
  }
  const datatype = input.datatype;
  if (typeof datatype !== "string" || !isDatatype(datatype)) {
    if (problems === undefined) return false;
    problems.add(
      `${where}.datatype`,
      datatype === undefined
        ? "required but missing"
        : `unknown datatype ${preview(datatype)} (expected one of ${DATATYPE_LIST})`,
    );
    ok = false;
  }
  const shape = input.shape;
  if (!Array.isArray(shape)) {
    if (problems === undefined) return false;
    problems.add(
      `${where}.shape`,
      shape === undefined ? "required but missing" : "expected a list",
    );
    ok = false;
  } else if (shape.length > MAX_DIMENSIONS) {
    if (problems === undefined) return false;
    problems.add(`${where}.shape`, `more than ${MAX_DIMENSIONS} dimensions`);
    ok = false;
  } else {
    for (let d = 0; d < shape.length; d++) {
      const dim = shape[d];
      if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 0) {
        if (problems === undefined) return false;
        problems.add(
          `${where}.shape[${d}]`,
          `expected a non-negative integer, got ${preview(dim)}`,
        );
        ok = false;
      }
    }
  }
  if (
    input.parameters !== undefined &&
    !checkParameters(input.parameters, `${where}.parameters`, problems)
  ) {
    ok = false;
  }
  return ok;
}

/** Two inputs with one name are ambiguous for every runtime (Triton refuses them too). */
function checkUniqueNames(inputs: readonly { name: string }[], problems: Problems | undefined) {
  const count = inputs.length;
  if (count < 2) return true;
  let ok = true;
  if (count <= 8) {
    for (let i = 1; i < count; i++) {
      for (let j = 0; j < i; j++) {
        if (inputs[i]!.name === inputs[j]!.name) {
          if (problems === undefined) return false;
          problems.add(`inputs[${i}].name`, `duplicate input name ${preview(inputs[i]!.name)}`);
          ok = false;
          break;
        }
      }
    }
    return ok;
  }
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const name = inputs[i]!.name;
    if (seen.has(name)) {
      if (problems === undefined) return false;
      problems.add(`inputs[${i}].name`, `duplicate input name ${preview(name)}`);
      ok = false;
    }
    seen.add(name);
  }
  return ok;
}

function checkParameters(value: unknown, where: string, problems: Problems | undefined): boolean {
  if (!isObject(value)) {
    problems?.add(where, "expected an object");
    return false;
  }
  const contentType = value.content_type;
  if (contentType !== undefined && typeof contentType !== "string") {
    problems?.add(`${where}.content_type`, `expected a string, got ${preview(contentType)}`);
    return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_NAME_LENGTH;
}

function nameProblem(value: unknown): string {
  if (value === undefined) return "required but missing";
  if (typeof value !== "string") return `expected a string, got ${preview(value)}`;
  return `longer than ${MAX_NAME_LENGTH} characters`;
}

/** A short rendering of a bad value for a message (never the whole of a large one). */
function preview(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return clip(text, 40);
}
