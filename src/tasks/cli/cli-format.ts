/** Output of the CLI: aligned tables for people, JSON for scripts. */

export type Row = Record<string, unknown>;

export function printTable(rows: Row[], columns: string[]): void {
  if (rows.length === 0) {
    console.log('(none)');
    return;
  }
  const headers = columns.map(header);
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = headers.map((title, index) => Math.max(title.length, ...cells.map((line) => line[index].length)));
  const line = (values: string[]) => values.map((value, index) => value.padEnd(widths[index])).join('  ').trimEnd();
  console.log(line(headers));
  for (const values of cells) console.log(line(values));
}

/** The words of a camel-case field name: `retryCount` → `retry`, `Count`. */
const words = (key: string) => key.split(/(?<=[a-z0-9])(?=[A-Z])/);
/** A column's title, its words apart as kubectl prints them: `taskId` → `TASK ID`. */
const header = (column: string) => words(column).join(' ').toUpperCase();
/** A field as the REST API and the table name it: `retryCount` → `retry_count`. */
const snakeCase = (key: string) => words(key).join('_').toLowerCase();

/** One record as `key  value` lines, keys named as the REST API names them. */
export function printRecord(record: Row): void {
  const entries = Object.entries(record).map(([key, value]) => [snakeCase(key), value] as const);
  const width = Math.max(...entries.map(([key]) => key.length));
  for (const [key, value] of entries) console.log(`${key.padEnd(width)}  ${cell(value)}`);
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
