/**
 * Reads an XGBoost model file, telling its format from its bytes rather than
 * its name: XGBoost 2.1+ writes UBJSON to `model.bst`, and ModelMesh links
 * files under their original names.
 *
 * @module
 */

import { type Booster, ModelFormatError, parseBooster } from "./booster.ts";
import { decodeUbjson } from "./ubjson.ts";

/** Reads and parses the model file at `path`. */
export async function readBooster(path: string): Promise<Booster> {
  const bytes = await Deno.readFile(path);
  return parseBooster(decodeModelDocument(bytes));
}

/** Decodes JSON or UBJSON model bytes into the model document. */
export function decodeModelDocument(bytes: Uint8Array): unknown {
  const first = nextSignificant(bytes, 0);
  if (bytes[first] !== 0x7b /* { */) {
    throw new ModelFormatError(
      "not an XGBoost JSON or UBJSON model (XGBoost's old binary format is not read: " +
        "re-save the model with booster.save_model('model.json') or 'model.ubj')",
    );
  }
  const second = bytes[nextSignificant(bytes, first + 1)];
  const isJson = second === 0x22 /* " */ || second === 0x7d; /* } */
  return isJson ? JSON.parse(new TextDecoder().decode(bytes)) : decodeUbjson(bytes);
}

function nextSignificant(bytes: Uint8Array, from: number): number {
  let at = from;
  // JSON whitespace: space, tab, line feed, carriage return.
  while (at < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[at]!)) at++;
  return at;
}
