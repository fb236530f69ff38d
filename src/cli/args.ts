/**
 * Command-line parsing shared by every command (`node:util` `parseArgs`,
 * strict, so an unknown flag is a usage error).
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Bad command-line usage: reported in one line with exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

/** Parses a command's arguments strictly. */
export function parseCommandArgs<T extends Options>(
  args: string[],
  options: T,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
> {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}
