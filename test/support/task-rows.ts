import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { BackgroundTask, type TasksService } from '../../src/tasks/index.js';

/** A row to seed: any columns of the entity; `taskId`, `taskName`, `taskType` and `params` have defaults. */
export type SeedRow = Partial<BackgroundTask>;

/**
 * Writes rows as they could be in the table (any status, any times), through the entity's own
 * column metadata, so no test keeps a column list of its own. The lifecycle subscriber is
 * skipped: a seeded row is history, not a transition. Like any write a host makes itself, the
 * rows are counted once `recountTasks()` runs: done here when the app's service is given.
 * Returns the task ids, in order.
 */
export async function seedTasks({ dataSource, tasks }: { dataSource: DataSource; tasks?: TasksService }, rows: SeedRow[]): Promise<string[]> {
  const complete = rows.map((row) => ({ taskName: 'seeded', taskType: 'test', params: {}, ...row, taskId: row.taskId ?? randomUUID() }));
  await dataSource.createQueryBuilder().insert().into(BackgroundTask).values(complete as QueryDeepPartialEntity<BackgroundTask>[]).callListeners(false).updateEntity(false).execute();
  await tasks?.recountTasks();
  return complete.map((row) => row.taskId);
}

/** Runs SQL and returns its rows (a TypeORM data source, or a mysql2 connection adapted to it). */
export type RunQuery = (sql: string) => Promise<unknown[]>;

/**
 * Every (task type, status, error class) whose count in `background_task_counts` differs from
 * the rows of `background_tasks`, in either direction (a group missing on one side counts as
 * 0 there): empty when the counts the API serves are exact.
 */
export async function countMismatches(query: RunQuery): Promise<string[]> {
  const byGroup = async (sql: string) =>
    new Map(((await query(sql)) as { task_type: string; status: string; error_type: string; n: string }[])
      .map((row) => [`${row.task_type}/${row.status}/${row.error_type || '-'}`, Number(row.n)]));
  const counted = await byGroup('SELECT task_type, status, error_type, SUM(count) AS n FROM background_task_counts GROUP BY task_type, status, error_type');
  const actual = await byGroup("SELECT task_type, status, COALESCE(error_type, '') AS error_type, COUNT(*) AS n FROM background_tasks GROUP BY task_type, status, COALESCE(error_type, '')");
  return [...new Set([...counted.keys(), ...actual.keys()])]
    .filter((group) => (counted.get(group) ?? 0) !== (actual.get(group) ?? 0))
    .map((group) => `count of ${group} is ${counted.get(group) ?? 0}, rows say ${actual.get(group) ?? 0}`);
}
