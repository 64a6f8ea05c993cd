import type { TaskErrorType } from '../failures/task-error-type.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';

/**
 * A small summary of outcomes, so the stats route never scans `background_tasks`: finished
 * tasks per (time bucket, type, name, final status, error class, duration bucket, slot), with
 * their summed duration. Kept by the state writer in the transaction that finishes each task, at three
 * resolutions: minutes, hours and days (short windows read minutes, long ones days). It outlives the purge
 * of old rows, so the history stays when the rows are gone.
 */
export const TASK_STATS_TABLE = 'background_task_stats';

/** Upper bounds (ms) of the duration buckets; one more bucket holds everything longer. */
export const DURATION_BUCKETS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000];
/** The bucket of tasks that finished without an attempt (cancelled while pending). */
export const NO_DURATION = 255;

/** Minutes, hours, days: the stats route reads the coarsest one that still draws its window well. */
export type StatsGrain = 'm' | 'h' | 'd';
export const STATS_GRAINS: readonly StatsGrain[] = ['m', 'h', 'd'];

/**
 * How long summary rows are kept (the scheduled cleanup deletes older ones): minutes serve
 * windows up to 6 h, hours up to 8 days, days the longest window of 400 days.
 */
export const STATS_KEPT_MS: Record<StatsGrain, number> = { m: 2 * 86_400_000, h: 10 * 86_400_000, d: 400 * 86_400_000 };

/** A task that reached a final state in a batch: what its row held and what it became. */
export interface FinishedTask {
  taskType: string;
  taskName: string;
  status: TaskStatus;
  errorType: TaskErrorType | null;
  startedAt: Date | null;
}

/** The duration bucket of `ms`. */
export function durationBucket(ms: number | null): number {
  if (ms === null) return NO_DURATION;
  const index = DURATION_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return index === -1 ? DURATION_BUCKETS_MS.length : index;
}

/**
 * The start of the bucket of `grain` that holds `at`, in local time as the driver writes dates
 * (so it matches what DATE_FORMAT gives in the rebuild, whatever the zone).
 */
export function bucketStart(at: Date, grain: StatsGrain): Date {
  const [hours, minutes] = grain === 'm' ? [at.getHours(), at.getMinutes()] : grain === 'h' ? [at.getHours(), 0] : [0, 0];
  return new Date(at.getFullYear(), at.getMonth(), at.getDate(), hours, minutes);
}

/** The next coarser grain: each of its buckets is a whole run of this grain's. */
const COARSER = { m: 'h', h: 'd' } as const;
type CoarserGrain = (typeof COARSER)[keyof typeof COARSER];

/** The start of the hour or day after the one that starts at `start` (local time, as {@link bucketStart}). */
function nextBucketStart(start: Date, grain: CoarserGrain): Date {
  const [days, hours] = grain === 'd' ? [1, 0] : [0, 1];
  return new Date(start.getFullYear(), start.getMonth(), start.getDate() + days, start.getHours() + hours);
}

/** The summary rows of one grain whose buckets start in [from, to). */
export interface StatsSpan {
  grain: StatsGrain;
  from: Date;
  to: Date;
}

/**
 * The buckets of `grain` that start in [from, to), as the fewest summary rows hold them: the
 * buckets of the next coarser grain that lie wholly inside (whole days of an hour window, whole
 * hours of a minute window) and `grain`'s own at the two edges. A batch adds each outcome to
 * every grain at once (statsDeltas), so a coarser bucket holds exactly the sum of the finer ones
 * it spans, and the sums read are those of `grain` alone: a 7-day window reads 6 or 7 day rows
 * and at most 48 hour rows per key instead of 168.
 */
export function outcomeSpans(grain: StatsGrain, from: Date, to: Date): StatsSpan[] {
  if (grain === 'd') return [{ grain, from, to }];
  const coarser = COARSER[grain];
  const containing = bucketStart(from, coarser);
  const firstWhole = containing.getTime() === from.getTime() ? containing : nextBucketStart(containing, coarser);
  const lastWholeEnd = bucketStart(to, coarser);
  if (firstWhole >= lastWholeEnd) return [{ grain, from, to }];
  const spans = [{ grain, from, to: firstWhole }, { grain: coarser, from: firstWhole, to: lastWholeEnd }, { grain, from: lastWholeEnd, to }];
  return spans.filter((span) => span.from < span.to);
}

/**
 * Summary rows per key, as the counter table has them: a batch adds its figures to one random
 * slot of its keys, so concurrent batches finishing tasks of the same minute do not queue on
 * one row; reads sum the slots.
 */
export const STATS_SLOTS = 16;

/** Summary rows `[grain, bucket, type, name, status, error class, duration bucket, slot, count, ms]` for tasks finished at `now`. */
export function statsDeltas(finished: FinishedTask[], now: Date): unknown[][] {
  // Net per key first, then one row per grain: a task costs one key and one lookup, not three.
  const net = new Map<string, { task: FinishedTask; bucket: number; count: number; ms: number }>();
  for (const task of finished) {
    const ms = task.startedAt ? Math.max(0, now.getTime() - task.startedAt.getTime()) : null;
    const bucket = durationBucket(ms);
    const key = `${task.taskType}\u0000${task.taskName}\u0000${task.status}\u0000${task.errorType ?? ''}\u0000${bucket}`;
    const sum = net.get(key);
    if (sum) {
      sum.count += 1;
      sum.ms += ms ?? 0;
    } else net.set(key, { task, bucket, count: 1, ms: ms ?? 0 });
  }
  const slot = Math.floor(Math.random() * STATS_SLOTS);
  // One bucket per grain for the whole batch (local-time arithmetic costs more than the rest of a task's share).
  const buckets = STATS_GRAINS.map((grain) => ({ grain, start: bucketStart(now, grain) }));
  return [...net.values()].flatMap(({ task, bucket, count, ms }) =>
    buckets.map(({ grain, start }) => [grain, start, task.taskType, task.taskName, task.status, task.errorType ?? '', bucket, slot, count, ms]),
  );
}

const KEY_COLUMNS = 'grain, bucket_start, task_type, task_name, status, error_type, duration_bucket, slot';
const KEY_MATCH = 'grain = ? AND bucket_start = ? AND task_type = ? AND task_name = ? AND status = ? AND error_type = ? AND duration_bucket = ? AND slot = ?';

/** The statement that adds summary rows (a CASE picks each row's increment: no `VALUES()`, see task-counts.ts). Deltas must not be empty. */
export function statsStatement(deltas: unknown[][]): [string, unknown[]] {
  const values = deltas.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  const keys = deltas.map((row) => row.slice(0, 8));
  const whens = (column: number) => deltas.flatMap((row, index) => [...keys[index], row[column]]);
  const cases = deltas.map(() => `WHEN ${KEY_MATCH} THEN ?`).join(' ');
  return [
    `INSERT INTO ${TASK_STATS_TABLE} (${KEY_COLUMNS}, finished, duration_ms) VALUES ${values}
     ON DUPLICATE KEY UPDATE finished = finished + CASE ${cases} ELSE 0 END, duration_ms = duration_ms + CASE ${cases} ELSE 0 END`,
    [...deltas.flat(), ...whens(8), ...whens(9)],
  ];
}

/** The table's DDL (migration 9 creates it). */
export const CREATE_TASK_STATS_TABLE = `
  CREATE TABLE ${TASK_STATS_TABLE} (
    grain CHAR(1) NOT NULL,
    bucket_start DATETIME NOT NULL,
    task_type VARCHAR(100) NOT NULL,
    task_name VARCHAR(255) NOT NULL,
    status ENUM('completed', 'failed', 'cancelled') NOT NULL,
    error_type VARCHAR(20) NOT NULL DEFAULT '',
    duration_bucket TINYINT UNSIGNED NOT NULL,
    slot TINYINT UNSIGNED NOT NULL DEFAULT 0,
    finished BIGINT NOT NULL DEFAULT 0,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, bucket_start, task_type, task_name, status, error_type, duration_bucket, slot)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/**
 * Rebuilds the summary from the finished rows in the table, in SQL (a migration's backfill, or
 * after a host wrote rows itself), as far back as each resolution is kept. The history of
 * rows already purged is lost.
 */
export function rebuildStatsStatements(): string[] {
  const ms = 'TIMESTAMPDIFF(MICROSECOND, started_at, completed_at) / 1000';
  const bucket = `CASE WHEN started_at IS NULL THEN ${NO_DURATION} ${DURATION_BUCKETS_MS.map((bound, index) => `WHEN ${ms} <= ${bound} THEN ${index}`).join(' ')} ELSE ${DURATION_BUCKETS_MS.length} END`;
  const insert = (grain: StatsGrain, start: string) => `
    INSERT INTO ${TASK_STATS_TABLE} (${KEY_COLUMNS}, finished, duration_ms)
    SELECT '${grain}', ${start}, task_type, task_name, status, COALESCE(error_type, ''), ${bucket}, 0, COUNT(*), COALESCE(SUM(ROUND(${ms})), 0)
      FROM ${BACKGROUND_TASKS_TABLE} WHERE status IN ('completed', 'failed', 'cancelled')
        AND completed_at >= NOW() - INTERVAL ${Math.round(STATS_KEPT_MS[grain] / 1000)} SECOND
      GROUP BY 2, task_type, task_name, status, COALESCE(error_type, ''), 7`;
  return [
    `DELETE FROM ${TASK_STATS_TABLE}`,
    insert('m', "DATE_FORMAT(completed_at, '%Y-%m-%d %H:%i:00')"),
    insert('h', "DATE_FORMAT(completed_at, '%Y-%m-%d %H:00:00')"),
    insert('d', "DATE_FORMAT(completed_at, '%Y-%m-%d 00:00:00')"),
  ];
}
