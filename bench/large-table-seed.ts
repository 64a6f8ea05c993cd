import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TASK_ERROR_TYPES, TasksService, TaskStatus } from 'tasks-module';

/** The task types of the seeded rows (each has a queue in the bench app). */
export const TYPES = ['email', 'report', 'analytics', 'cleanup'];

/** A plausible history: most tasks finished well, a few failed or are still queued. */
const STATUS_MIX: Array<[TaskStatus, number]> = [
  [TaskStatus.Completed, 0.8], [TaskStatus.Failed, 0.1], [TaskStatus.Cancelled, 0.03], [TaskStatus.Running, 0.02], [TaskStatus.Pending, 0.05],
];

function statusFor(random: number): TaskStatus {
  let sum = 0;
  for (const [status, share] of STATUS_MIX) if (random < (sum += share)) return status;
  return TaskStatus.Completed;
}

/** Adds `total` rows in multi-row INSERTs of 5,000, created over the last 30 days in order. */
async function insertRows(dataSource: DataSource, total: number): Promise<void> {
  const start = Date.now() - 30 * 86_400_000;
  for (let i = 0; i < total; i += 5000) {
    const rows = [];
    for (let j = i; j < Math.min(total, i + 5000); j++) {
      const status = statusFor(Math.random());
      const created = new Date(start + Math.floor((j / total) * 30 * 86_400_000));
      // Failed rows carry their failure class, and so do a third of the pending ones (retries due).
      const failed = status === TaskStatus.Failed || (status === TaskStatus.Pending && Math.random() < 0.3);
      const errorType = failed ? TASK_ERROR_TYPES[Math.floor(Math.random() * TASK_ERROR_TYPES.length)] : null;
      rows.push([randomUUID(), `bench.${TYPES[j % 4]}.${j % 3}`, TYPES[j % 4], 1 + (j % 10), status, '{}', created,
        status === TaskStatus.Pending ? null : created, [TaskStatus.Pending, TaskStatus.Running].includes(status) ? null : created, errorType]);
    }
    await dataSource.query(
      'INSERT INTO background_tasks (task_id, task_name, task_type, priority, status, params, created_at, started_at, completed_at, error_type) VALUES ?',
      [rows],
    );
  }
}

/**
 * After a bulk seed, lets InnoDB finish writing it back (dirty pages flushed, at most 60 s)
 * and refreshes the statistics, so that reads are timed on a settled database rather than
 * against the flush of a million fresh rows.
 */
async function settle(dataSource: DataSource): Promise<void> {
  await dataSource.query('ANALYZE TABLE background_tasks');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [row]: { Value: string }[] = await dataSource.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
    if (Number(row?.Value ?? 0) < 100) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Fills an empty table with `total` rows, counted and summarised as the module's own writes would be. */
export async function seedTable(dataSource: DataSource, service: TasksService, total: number): Promise<void> {
  await insertRows(dataSource, total);
  // Rows written with plain SQL are counted once recounted, as a host's own writes would be.
  await service.recountTasks();
  await service.rebuildTaskStats();
  await settle(dataSource);
}
