/**
 * A pickle reader that never executes anything. Python's unpickler imports
 * every `GLOBAL` it meets and calls whatever `REDUCE` names, which is why
 * loading an untrusted pickle runs arbitrary code. This reader interprets
 * the opcodes of protocols 0 to 5 into plain data (see `py_values.ts`) and
 * asks a resolver about each global: the resolver either describes how to
 * rebuild it as data or refuses it, which stops the read at once.
 *
 * @module
 */

import { type ByteStream, latin1 } from "./byte_stream.ts";
import {
  littleEndianInt,
  quotedString,
  rawUnicodeEscape,
  textFloat,
  textInt,
  utf8,
} from "./pickle_literals.ts";
import { DType, NdArray } from "./ndarray.ts";
import { PyGlobal, PyObject } from "./py_values.ts";

/** How an allowed global is rebuilt: the value a call makes, and what BUILD on it gives. */
export interface GlobalSpec {
  /** The value of `name(*args, **kwargs)` (REDUCE, NEWOBJ, INST, OBJ). */
  call(args: unknown[], kwargs: ReadonlyMap<unknown, unknown>): unknown;
  /** After BUILD on an object it made: the value that replaces it (joblib's array wrapper). */
  afterBuild?(built: PyObject, stream: ByteStream, resolve: GlobalResolver): unknown;
}

/** Answers for a global: its spec, or a thrown error that names why it is refused. */
export type GlobalResolver = (module: string, name: string) => GlobalSpec;

/** Options of `readPickle`. */
export interface ReadPickleOptions {
  /** Says how to rebuild each global, or refuses it. */
  resolve: GlobalResolver;
  /** Out-of-band buffers (protocol 5 `NEXT_BUFFER`), in order. */
  buffers?: readonly Uint8Array[];
}

/** Python 2 module names that protocol 0-2 pickles use (Python's `fix_imports`). */
const PY2_MODULES: Record<string, string> = { __builtin__: "builtins", copy_reg: "copyreg" };

/**
 * Reads one pickle from the stream's cursor up to its STOP opcode and
 * returns the value it describes.
 *
 * @throws {Error} on a malformed pickle, an opcode this reader refuses, or a refused global
 */
export function readPickle(stream: ByteStream, options: ReadPickleOptions): unknown {
  const specs = new Map<PyGlobal, GlobalSpec>();
  // BUILD finds the spec of an object's class by name: the object may have
  // been made by a helper (copyreg) from a class reference, not by the spec.
  const specsByName = new Map<string, GlobalSpec>();
  const buffers = [...(options.buffers ?? [])];
  const memo = new Map<number, unknown>();
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];

  const pop = (): unknown => {
    if (stack.length === 0) throw new Error(`Malformed pickle: stack underflow at ${stream.pos}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new Error(`Malformed pickle: empty stack at ${stream.pos}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = metastack.pop();
    if (previous === undefined) throw new Error(`Malformed pickle: no MARK before ${stream.pos}`);
    stack = previous;
    return items;
  };
  const global = (module: string, name: string): PyGlobal => {
    const ref = new PyGlobal(PY2_MODULES[module] ?? module, name);
    const spec = options.resolve(ref.module, ref.name);
    specs.set(ref, spec);
    specsByName.set(ref.qualified, spec);
    return ref;
  };
  const call = (callable: unknown, args: unknown, kwargs: unknown = new Map()): unknown => {
    const spec = callable instanceof PyGlobal ? specs.get(callable) : undefined;
    if (spec === undefined || !Array.isArray(args) || !(kwargs instanceof Map)) {
      throw new Error(`Malformed pickle: a call at ${stream.pos} has no allowed callable`);
    }
    return spec.call(args, kwargs);
  };
  const getMemo = (key: number): unknown => {
    if (!memo.has(key)) throw new Error(`Malformed pickle: memo ${key} is not set`);
    return memo.get(key);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (items.length % 2 !== 0) throw new Error("Malformed pickle: odd SETITEMS");
    const dict = target instanceof PyObject ? target.dictItems : target;
    if (!(dict instanceof Map)) throw new Error("Malformed pickle: SETITEM on a non-dict");
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    const list = target instanceof PyObject ? target.listItems : target;
    if (!Array.isArray(list)) throw new Error("Malformed pickle: APPEND on a non-list");
    list.push(...items);
  };
  const build = () => {
    const state = pop();
    const target = top();
    if (target instanceof NdArray || target instanceof DType) {
      target.setState(state);
    } else if (target instanceof PyObject) {
      target.state = state;
      const after = specsByName.get(target.cls.qualified)?.afterBuild;
      if (after !== undefined) stack[stack.length - 1] = after(target, stream, options.resolve);
    } else {
      throw new Error(`Malformed pickle: BUILD on a ${typeof target} at ${stream.pos}`);
    }
  };

  for (;;) {
    const at = stream.pos;
    const op = stream.u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = stream.u8();
        if (protocol > 5) throw new Error(`Unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95: // FRAME: a size hint; the bytes simply follow
        stream.u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length > 0) pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      // Constants and numbers
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(stream.u8());
        break;
      case 0x4d: // BININT2
        stack.push(stream.u16());
        break;
      case 0x4a: // BININT
        stack.push(stream.i32());
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianInt(stream.read(stream.u8())));
        break;
      case 0x8b: { // LONG4
        const n = stream.i32();
        if (n < 0) throw new Error("Malformed pickle: negative LONG4 size");
        stack.push(littleEndianInt(stream.read(n)));
        break;
      }
      case 0x49: // INT: also True/False in protocol 0
        stack.push(textInt(stream.line(), true));
        break;
      case 0x4c: // LONG
        stack.push(textInt(stream.line(), false));
        break;
      case 0x47: // BINFLOAT
        stack.push(stream.f64be());
        break;
      case 0x46: // FLOAT
        stack.push(textFloat(stream.line()));
        break;
      // Strings and bytes
      case 0x58: // BINUNICODE
        stack.push(utf8(stream.read(stream.u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(stream.read(stream.u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(stream.read(stream.u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        stack.push(rawUnicodeEscape(stream.line()));
        break;
      case 0x54: // BINSTRING: Python 2 str, read as latin-1 text
        stack.push(latin1(stream.read(stream.i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(stream.read(stream.u8())));
        break;
      case 0x53: // STRING (a quoted Python 2 literal)
        stack.push(quotedString(stream.line()));
        break;
      case 0x42: // BINBYTES
        stack.push(stream.read(stream.u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(stream.read(stream.u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(stream.read(stream.u64()).slice());
        break;
      case 0x97: { // NEXT_BUFFER
        const buffer = buffers.shift();
        if (buffer === undefined) {
          throw new Error("The pickle refers to an out-of-band buffer that was not given");
        }
        stack.push(buffer);
        break;
      }
      case 0x98: // READONLY_BUFFER: the data is copied anyway
        break;
      // Containers
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: { // LIST
        // popMark() replaces `stack`: take the items before pushing.
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const dict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x91: { // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x90: { // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) throw new Error("Malformed pickle: ADDITEMS on a non-set");
        for (const item of items) set.add(item);
        break;
      }
      case 0x61: { // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      // Memo
      case 0x70: // PUT
        memo.set(Number(stream.line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(stream.u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(stream.u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(getMemo(Number(stream.line())));
        break;
      case 0x68: // BINGET
        stack.push(getMemo(stream.u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(getMemo(stream.u32()));
        break;
      // Globals, calls and objects
      case 0x63: { // GLOBAL
        const module = stream.line();
        stack.push(global(module, stream.line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw new Error("Malformed pickle: STACK_GLOBAL needs two strings");
        }
        stack.push(global(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        stack.push(call(pop(), args, kwargs));
        break;
      }
      case 0x69: { // INST
        const module = stream.line();
        const cls = global(module, stream.line());
        const args = popMark();
        stack.push(call(cls, args));
        break;
      }
      case 0x6f: { // OBJ
        const [cls, ...args] = popMark();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: // BUILD
        build();
        break;
      case 0x50: // PERSID
      case 0x51: // BINPERSID
        throw new Error(
          `The pickle uses persistent ids (opcode ${
            op === 0x50 ? "PERSID" : "BINPERSID"
          } at ${at}), which only the program that wrote it can resolve`,
        );
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw new Error(
          `The pickle uses the copyreg extension registry (opcode at ${at}), which is not supported`,
        );
      default:
        throw new Error(`Malformed pickle: unknown opcode 0x${op.toString(16)} at ${at}`);
    }
  }
}
