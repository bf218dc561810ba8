/** A table to print: a title, column headers, rows of cells, and notes under it. */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Columns aligned left (the rest are numbers, aligned right). Default: the first two. */
  leftColumns?: number;
  notes?: string[];
}

/**
 * Renders a table as plain text: a title line, a header, a rule, aligned rows and notes. Plain
 * ASCII and spaces only, so it reads the same in a terminal, a CI log and a README code block.
 */
export function renderTable(table: Table): string {
  const left = table.leftColumns ?? 2;
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i < left ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const out = [table.title, line(table.headers), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const row of table.rows) out.push(line(row));
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return `${out.join("\n")}\n`;
}
