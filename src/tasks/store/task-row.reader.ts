import type { DataSource } from 'typeorm';
import { BackgroundTask, BACKGROUND_TASKS_TABLE } from './background-task.entity.js';

/** A hand-written read of `background_tasks`: its SELECT head and the mapping of its rows. */
export interface TaskRowReader {
  /** `SELECT <every entity column, named as its property> FROM background_tasks` */
  selectFrom: string;
  toTask(row: Record<string, unknown>): BackgroundTask;
}

/**
 * Reads entities from raw rows, with the entity's own column metadata (so the two never
 * drift): what TypeORM's hydration makes, for a fraction of its cost on pages of a thousand
 * rows. Each column is selected under its property's name, and a row is copied into a new
 * entity by a function made once from the metadata, one plain assignment per column: every
 * entity then has the class's own shape, where setting the prototype of the driver's row (as
 * this did before) left each row an object of its own shape. Scratch, pages of 1,000 rows:
 * 0.48 → 0.21 ms per page for the mapping (a loop over the columns: 1.27 ms, `Object.assign`:
 * 0.71), of a page's 4-5 ms p50. JSON is parsed and booleans made booleans on the copy.
 * MariaDB returns JSON columns as text, MySQL 8 as parsed values.
 */
export function taskRowReader(dataSource: DataSource): TaskRowReader {
  const columns = dataSource.getMetadata(BackgroundTask).columns;
  const json = columns.filter((column) => column.type === 'json').map((column) => column.propertyName);
  const booleans = columns.filter((column) => column.type === 'boolean').map((column) => column.propertyName);
  const selected = columns.map(({ databaseName, propertyName }) => (databaseName === propertyName ? databaseName : `${databaseName} AS \`${propertyName}\``));
  const copy = columnCopier(columns.map((column) => column.propertyName));
  return {
    selectFrom: `SELECT ${selected.join(', ')} FROM ${BACKGROUND_TASKS_TABLE}`,
    toTask(row) {
      const task = copy(row, new BackgroundTask()) as unknown as Record<string, unknown>;
      for (const property of json) if (typeof task[property] === 'string') task[property] = JSON.parse(task[property] as string);
      for (const property of booleans) if (task[property] !== null) task[property] = Boolean(task[property]);
      return task as unknown as BackgroundTask;
    },
  };
}

/**
 * `(row, task) => { task.id = row.id; …; return task }` for the entity's properties. Generated,
 * as mysql2 generates its row parsers, because named assignments are what V8 makes fast and a
 * loop over names is not; the names are the entity's own identifiers, checked as such.
 */
function columnCopier(properties: string[]): (row: Record<string, unknown>, task: BackgroundTask) => BackgroundTask {
  const unsafe = properties.find((property) => !/^[A-Za-z_$][\w$]*$/.test(property));
  if (unsafe !== undefined) throw new Error(`BackgroundTask property ${unsafe} is not an identifier`);
  return new Function('row', 'task', `${properties.map((property) => `task.${property} = row.${property};`).join('\n')}\nreturn task;`) as never;
}
