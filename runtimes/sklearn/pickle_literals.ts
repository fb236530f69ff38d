/**
 * How pickle opcodes spell their arguments: protocol 0's text integers,
 * floats and quoted strings, raw-unicode-escape text, two's complement
 * LONG bytes, and UTF-8 that Python may have written with lone surrogates.
 *
 * @module
 */

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 text (lenient where Python wrote surrogates with "surrogatepass"). */
export function utf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    // Python writes lone surrogates with "surrogatepass"; keep what can be read.
    return new TextDecoder("utf-8").decode(bytes);
  }
}

/** Two's complement little-endian integer (LONG1/LONG4): a number when safe, else a bigint. */
export function littleEndianInt(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

/** Protocol 0 `INT`/`LONG` text (`I01` and `I00` are True and False). */
export function textInt(text: string, allowBool: boolean): number | bigint | boolean {
  if (allowBool && text === "00") return false;
  if (allowBool && text === "01") return true;
  const digits = text.endsWith("L") ? text.slice(0, -1) : text;
  if (!/^[+-]?\d+$/.test(digits)) throw new Error(`Malformed pickle: bad integer '${text}'`);
  const value = BigInt(digits);
  return Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

/** Protocol 0 `FLOAT` text, Python's repr (nan and inf included). */
export function textFloat(text: string): number {
  const lower = text.trim().toLowerCase();
  if (lower === "nan") return NaN;
  if (lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  const value = Number(lower);
  if (Number.isNaN(value)) throw new Error(`Malformed pickle: bad float '${text}'`);
  return value;
}

/** Protocol 0 `UNICODE`: latin-1 text with `\\uXXXX` escapes. */
export function rawUnicodeEscape(text: string): string {
  return text.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_, u4: string | undefined, u8: string | undefined) =>
      String.fromCodePoint(parseInt(u4 ?? u8!, 16)),
  );
}

/** Protocol 0 `STRING`: a quoted Python 2 literal with backslash escapes. */
export function quotedString(text: string): string {
  const quote = text[0];
  if ((quote !== "'" && quote !== '"') || text[text.length - 1] !== quote || text.length < 2) {
    throw new Error("Malformed pickle: STRING argument is not quoted");
  }
  return text.slice(1, -1).replace(
    /\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g,
    (_, esc: string) => {
      if (esc[0] === "x") return String.fromCharCode(parseInt(esc.slice(1), 16));
      if (/^[0-7]+$/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
      const simple: Record<string, string> = {
        n: "\n",
        r: "\r",
        t: "\t",
        "\\": "\\",
        "'": "'",
        '"': '"',
      };
      return simple[esc] ?? `\\${esc}`;
    },
  );
}
