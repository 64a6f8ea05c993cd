/** Output of the CLI: aligned tables for people, JSON for scripts. */

export type Row = Record<string, unknown>;

export function printTable(rows: Row[], columns: string[]): void {
  if (rows.length === 0) {
    console.log('(none)');
    return;
  }
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index].length)));
  const line = (values: string[]) => values.map((value, index) => value.padEnd(widths[index])).join('  ').trimEnd();
  console.log(line(columns.map((column) => column.toUpperCase())));
  for (const values of cells) console.log(line(values));
}

/** One record as `key: value` lines. */
export function printRecord(record: Row): void {
  const width = Math.max(...Object.keys(record).map((key) => key.length));
  for (const [key, value] of Object.entries(record)) console.log(`${key.padEnd(width)}  ${cell(value)}`);
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
