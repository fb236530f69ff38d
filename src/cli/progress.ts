/**
 * Progress of `mlserver infer` on standard error: on a terminal a bar with
 * the rate, the ETA and the counts of retries and failures (cli-progress:
 * the most used Node progress bar, ETA built in, a log line API that keeps
 * the bar intact, loaded only on a terminal); when piped, a plain line at
 * every tenth of the work.
 *
 * @module
 */

import process from "node:process";

/** What the runner reports to. */
export interface Progress {
  /** A log line, printed above the bar. */
  log(line: string): void;
  /** Requests done so far, and the counts so far. */
  update(done: number, counts: { retries: number; failed: number }): void;
  /** Ends the display (the bar stays on screen, complete). */
  stop(): void;
}

const encoder = new TextEncoder();

/**
 * The display for `total` requests.
 *
 * @param options `tty`: whether standard error is a terminal; `now`: the clock (ms), for the rate
 */
export async function createProgress(
  total: number,
  options: { tty: boolean; now?: () => number },
): Promise<Progress> {
  const now = options.now ?? performance.now.bind(performance);
  const started = now();
  const rate = (done: number): string => {
    const seconds = (now() - started) / 1000;
    return seconds > 0 ? (done / seconds).toFixed(1) : "0.0";
  };
  if (!options.tty) return plainProgress(total, rate);
  // @ts-types="@types/cli-progress"
  const { default: cliProgress } = await import("cli-progress");
  const bars = new cliProgress.MultiBar({
    stream: process.stderr,
    format: "{bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | " +
      "{retries} retries, {failed} failed",
    hideCursor: true,
    etaBuffer: 50,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  const bar = bars.create(total, 0, { rate: "0.0", retries: 0, failed: 0 });
  let stopped = false;
  return {
    log: (line) => stopped ? plainWrite(line) : bars.log(`${line}\n`),
    update: (done, counts) => bar.update(done, { rate: rate(done), ...counts }),
    stop: () => {
      if (!stopped) bars.stop();
      stopped = true;
    },
  };
}

/** One line at every tenth of the work (and at the end). */
function plainWrite(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

function plainProgress(total: number, rate: (done: number) => string): Progress {
  const write = plainWrite;
  let nextStep = 1;
  return {
    log: write,
    update(done, { retries, failed }) {
      if (total === 0 || done * 10 < nextStep * total) return;
      while (done * 10 >= nextStep * total) nextStep++;
      write(
        `${done}/${total} (${Math.floor((done * 100) / total)}%), ${rate(done)}/s, ` +
          `${retries} retries, ${failed} failed`,
      );
    },
    stop() {},
  };
}
