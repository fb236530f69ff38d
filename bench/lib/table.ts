/**
 * The benchmark report: one row per case, baseline and subject side by side,
 * the median ratio over alternating runs, and the target.
 *
 * @module
 */

/** One line of the report. */
export interface Row {
  case: string;
  baseline: string;
  subject: string;
  ratio: string;
  target: string;
  ok: boolean;
}

/** Prints rows as a Markdown table (pasteable into a closing note). */
export function printTable(rows: readonly Row[]): void {
  const header = ["case", "baseline", "subject", "result (median)", "target", "met"];
  const lines = rows.map((
    r,
  ) => [r.case, r.baseline, r.subject, r.ratio, r.target, r.ok ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const line of lines) console.log(format(line));
}

/** Formats a number with thousands separators and fixed decimals. */
export function fmt(value: number, decimals = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}
