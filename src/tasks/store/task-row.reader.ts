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
 * rows. Each column is selected under its property's name, so the driver's row becomes the
 * entity in place (JSON parsed, booleans made booleans, the entity's prototype) rather than
 * being copied into a second object: one object per row instead of two, and the
 * young-generation collections that a page triggers set its slowest reads (scratch A/B, pages
 * of 1,000 at 1M rows: p50 4.5-5.2 → 3.8-4.8 ms, p95 9.1-9.3 → 8.5 ms, the driver's bare rows
 * 4.3-4.6 / 8.2-8.4 ms). MariaDB returns JSON columns as text, MySQL 8 as parsed values.
 */
export function taskRowReader(dataSource: DataSource): TaskRowReader {
  const columns = dataSource.getMetadata(BackgroundTask).columns;
  const json = columns.filter((column) => column.type === 'json').map((column) => column.propertyName);
  const booleans = columns.filter((column) => column.type === 'boolean').map((column) => column.propertyName);
  const selected = columns.map(({ databaseName, propertyName }) => (databaseName === propertyName ? databaseName : `${databaseName} AS \`${propertyName}\``));
  return {
    selectFrom: `SELECT ${selected.join(', ')} FROM ${BACKGROUND_TASKS_TABLE}`,
    toTask(row) {
      for (const property of json) if (typeof row[property] === 'string') row[property] = JSON.parse(row[property] as string);
      for (const property of booleans) if (row[property] !== null) row[property] = Boolean(row[property]);
      return Object.setPrototypeOf(row, BackgroundTask.prototype) as BackgroundTask;
    },
  };
}
