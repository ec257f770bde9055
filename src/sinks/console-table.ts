/** A cell value printed by the console sink. */
export type Cell = string | number | boolean | null | undefined;

function show(v: Cell): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return String(v);
}

/**
 * Formats rows as Spark's console sink does:
 * `+---+---+` borders, a header row, right-aligned numbers, at most `maxRows`
 * rows followed by "only showing top N rows".
 */
export function formatTable(rows: readonly Readonly<Record<string, Cell>>[], maxRows = 20, columns?: readonly string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, maxRows);
  const widths = cols.map((c) => Math.max(c.length, ...shown.map((r) => show(r[c]).length)));
  const border = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const line = (cells: readonly string[], numeric: readonly boolean[]) => `|${cells.map((s, i) => (numeric[i] ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number))).join('|')}|`;
  const out = [border, line(cols, cols.map(() => false)), border];
  for (const r of shown) out.push(line(cols.map((c) => show(r[c])), cols.map((c) => typeof r[c] === 'number')));
  out.push(border);
  if (rows.length > maxRows) out.push(`only showing top ${maxRows} rows`);
  return out.join('\n');
}
