/**
 * How many JavaScript objects decoding one binary message may create. Wire
 * formats make some things nearly free to send and costly to hold: an empty
 * `bytes_contents` entry is 2 bytes of protobuf, but a `Uint8Array` view of
 * it is about 110 bytes of heap; an empty gRPC input is 2 bytes and about
 * 100 bytes decoded. Thirty million of them in a 60 MB message would take
 * gigabytes. So every such object is counted as it is decoded, and a message
 * may create at most one per `MESSAGE_BYTES_PER_OBJECT` bytes of its own
 * size (about 7 bytes of heap per byte received), or `MIN_DECODED_OBJECTS`,
 * whichever is more. Counts are checked before the objects are made.
 *
 * Numeric tensor data is not counted: it decodes into one typed array no
 * larger than the bytes that carry it (or a view of them).
 *
 * @module
 */

import { RequestTooLargeError } from "../errors.ts";

/** Objects any message may create, however small it is. */
export const MIN_DECODED_OBJECTS = 1 << 19;
/** Bytes of message each object beyond `MIN_DECODED_OBJECTS` must be backed by. */
export const MESSAGE_BYTES_PER_OBJECT = 16;

/** Counts the objects decoding one message creates. */
export class DecodeBudget {
  /** The most objects this message may create. */
  readonly limit: number;
  readonly #messageBytes: number;
  #used = 0;

  /** @param messageBytes the size of the whole message or body, in bytes */
  constructor(messageBytes: number) {
    this.#messageBytes = messageBytes;
    this.limit = Math.max(
      MIN_DECODED_OBJECTS,
      Math.floor(messageBytes / MESSAGE_BYTES_PER_OBJECT),
    );
  }

  /**
   * Accounts for `count` objects about to be created.
   *
   * @param what names what they are for the error (`Input 'x': 3000000 BYTES elements`)
   * @throws {RequestTooLargeError} when the message does not justify them
   */
  take(count: number, what: () => string): void {
    this.#used += count;
    if (this.#used <= this.limit) return;
    throw new RequestTooLargeError(
      `${what()}: decoding this ${this.#messageBytes}-byte message would create more than ` +
        `${this.limit} objects (inputs, outputs, parameters and BYTES elements; at most one ` +
        `per ${MESSAGE_BYTES_PER_OBJECT} bytes of message, or ${MIN_DECODED_OBJECTS}); ` +
        `send fewer, larger elements`,
    );
  }
}
