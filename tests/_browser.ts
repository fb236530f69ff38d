/**
 * Headless Chromium for browser tests: Debian's `/usr/bin/chromium` driven
 * by playwright-core (which never downloads a browser of its own here). When
 * the browser is missing, `launchChromium()` returns a skip reason instead.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Where Debian's package puts the browser (`apt-get install chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags that keep Chromium off the network: this machine has none but loopback. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser, or why there is none. */
export async function launchChromium(): Promise<{ browser: Browser } | { skip: string }> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    return { skip: `${CHROMIUM} is missing (install it with: apt-get install -y chromium)` };
  }
  // playwright passes --headless and a fresh --user-data-dir itself.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
  return { browser };
}
