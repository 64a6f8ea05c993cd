import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskStatus } from '../../src/tasks/index.js';
import { bucketStart } from '../../src/tasks/store/task-stats.js';
import { createTestApp, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** The `test.sleep` tasks' sleeps: two short ones and one far from them (see the durations check). */
const SLEEPS_MS = [20, 20, 1200];

describe('GET /api/tasks/stats', () => {
  let t: TestApp;
  let sleepTaskIds: string[];

  beforeAll(async () => {
    t = await createTestApp({ suite: 'ops_stats', providers: [TestTasks] });
    const finished = await Promise.all([
      ...SLEEPS_MS.map((ms) => t.tasks.enqueue({ taskName: 'test.sleep', params: { ms } })),
      t.tasks.enqueue({ taskName: 'test.always_fail', params: {}, maxRetries: 0 }),
    ]);
    sleepTaskIds = finished.slice(0, SLEEPS_MS.length).map((task) => task.taskId);
    const cancelled = await t.tasks.enqueue({ taskName: 'test.record', params: {}, delaySeconds: 600 });
    await t.tasks.cancelTask(cancelled.taskId);
    await t.tasks.enqueue({ taskName: 'test.record', params: {}, delaySeconds: 600 });
    for (const task of finished) await waitForFinalRow(t.tasks, task.taskId);
  });
  afterAll(() => t?.close());

  it('reports outcomes, error classes, success rate, durations and throughput per task name and type', async () => {
    const { body } = await t.http().get('/api/tasks/stats?window=1h').expect(200);
    expect(body.resolution).toBe('minute');
    expect(body.totals).toMatchObject({ finished: 5, completed: 3, failed: 1, cancelled: 1, success_rate: 0.75, by_error_type: { unknown: 1, none: 1 } });
    const sleep = body.tasks.find((task: { task_name: string }) => task.task_name === 'test.sleep');
    expect(sleep).toMatchObject({ task_type: 'test', completed: 3, failed: 0, success_rate: 1 });
    // Two 20 ms tasks and one of 1.2 s (far apart, so a loaded machine's commit delays do not move
    // them across): the median is a short one's, p99 in the 1-2.5 s bucket, the mean exact.
    expect(sleep.duration_ms.p50).toBeGreaterThanOrEqual(10);
    expect(sleep.duration_ms.p50).toBeLessThanOrEqual(250);
    expect(sleep.duration_ms.p99).toBeGreaterThanOrEqual(1000);
    expect(sleep.duration_ms.p99).toBeLessThanOrEqual(2500);
    // The mean is the rows' own durations, not an estimate from the buckets: the summary reads
    // each against its batch's clock, never after the row's `completed_at` (the same instant for
    // a short task's one write), and rounds to a tenth of a ms.
    const rows = await Promise.all(sleepTaskIds.map((taskId) => t.tasks.getTaskStatus(taskId)));
    const rowsMeanMs = rows.reduce((sum, row) => sum + row.completedAt!.getTime() - row.startedAt!.getTime(), 0) / rows.length;
    expect(sleep.duration_ms.mean).toBeLessThanOrEqual(rowsMeanMs + 0.05);
    // And each duration is its sleep at least, less what millisecond clocks lose: a timer may fire
    // up to 1 ms early and a back-dated start is floored to a whole ms (2 ms a task), and the
    // 1.2 s task's start and outcome are two readings of MySQL's NOW(3), each truncated (2 more).
    const clockSlackMs = 2 * SLEEPS_MS.length + 2;
    const sleepsMs = SLEEPS_MS.reduce((sum, ms) => sum + ms, 0);
    expect(sleep.duration_ms.mean).toBeGreaterThanOrEqual((sleepsMs - clockSlackMs) / SLEEPS_MS.length);
    expect(body.tasks.find((task: { task_name: string }) => task.task_name === 'test.record')).toMatchObject({ cancelled: 1, duration_ms: null });
    const testType = body.types.find((type: { task_type: string }) => type.task_type === 'test');
    expect(testType.current).toEqual({ pending: 1, running: 0, completed: 3, failed: 1, cancelled: 1 });
    expect(body.throughput.reduce((sum: number, point: { completed: number; failed: number; cancelled: number }) => sum + point.completed + point.failed + point.cancelled, 0)).toBe(5);
    expect(body.totals.per_minute).toBeCloseTo(5 / 60, 2);
    expect(body.queues.find((queue: { queue: string }) => queue.queue === 'test')).toMatchObject({ delayed: 1, active: 0 });
  });

  it('filters by task name and type, and reads long windows by the hour or the day', async () => {
    const byName = (await t.http().get('/api/tasks/stats?task_name=test.sleep&window=7d').expect(200)).body;
    expect(byName.resolution).toBe('hour');
    expect(byName.totals).toMatchObject({ finished: 3, completed: 3 });
    expect(byName.tasks.map((task: { task_name: string }) => task.task_name)).toEqual(['test.sleep']);
    const byDay = (await t.http().get('/api/tasks/stats?window=30d').expect(200)).body;
    expect(byDay.resolution).toBe('day');
    expect(byDay.totals).toMatchObject({ finished: 5, completed: 3 });
    const byType = (await t.http().get('/api/tasks/stats?task_type=email').expect(200)).body;
    expect(byType.totals.finished).toBe(0);
    expect(byType.queues.map((queue: { queue: string }) => queue.queue)).toEqual(['email']);
  });

  it('refuses a malformed or out-of-range window', async () => {
    for (const window of ['1w', '0m', '-5m', '999999d', 'abc']) {
      const { body } = await t.http().get(`/api/tasks/stats?window=${encodeURIComponent(window)}`).expect(400);
      expect(JSON.stringify(body.message)).toMatch(/window must be/);
    }
    await t.http().get('/api/tasks/stats?limit=5').expect(400);
  });

  it('rebuilds the same summary from the rows', async () => {
    const before = (await t.http().get('/api/tasks/stats?window=1h').expect(200)).body;
    await t.tasks.rebuildTaskStats();
    const after = (await t.http().get('/api/tasks/stats?window=1h').expect(200)).body;
    expect(after.totals).toMatchObject({ finished: before.totals.finished, completed: 3, failed: 1, cancelled: 1 });
    expect(after.tasks.find((task: { task_name: string }) => task.task_name === 'test.sleep').duration_ms.p99).toBeGreaterThanOrEqual(1000);
  });

  it('counts a user retry that completes as a second outcome', async () => {
    const failed = (await t.tasks.listTasks({ status: TaskStatus.Failed })).tasks[0];
    await t.tasks.retryTask(failed.taskId);
    await waitForFinalRow(t.tasks, failed.taskId);
    const { body } = await t.http().get('/api/tasks/stats?task_name=test.always_fail&window=15m').expect(200);
    expect(body.totals).toMatchObject({ finished: 2, failed: 2 });
  });
});

describe('the stats summary over time', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'ops_stats_keep', providers: [TestTasks] });
  });
  afterAll(() => t?.close());

  it('keeps minute rows 2 days, hour rows 10 days and day rows 400 days: the scheduled cleanup drops older ones', async () => {
    const insert = (grain: string, ageHours: number) =>
      t.dataSource.query(
        "INSERT INTO background_task_stats (grain, bucket_start, task_type, task_name, status, error_type, duration_bucket, finished, duration_ms) VALUES (?, NOW() - INTERVAL ? HOUR, 'test', 'test.record', 'completed', '', 0, 1, 1)",
        [grain, ageHours],
      );
    await insert('m', 1);
    await insert('m', 49);
    await insert('h', 24 * 9);
    await insert('h', 24 * 11);
    await insert('d', 24 * 399);
    await insert('d', 24 * 401);
    await t.tasks.purgeFinishedTasks();
    const left: { grain: string; hours: string }[] = await t.dataSource.query('SELECT grain, TIMESTAMPDIFF(HOUR, bucket_start, NOW()) AS hours FROM background_task_stats ORDER BY grain, hours');
    expect(left.map((row) => [row.grain, Number(row.hours)])).toEqual([['d', 24 * 399], ['h', 24 * 9], ['m', 1]]);
  });

  it('sums a 7-day window from its whole days and its edge hours exactly as its hours alone would', async () => {
    const now = Date.now();
    // One outcome count per hour, each its own power of two, so that an hour left out or counted
    // twice changes the sum. The first hour lies just before the window, in the day the window
    // starts in (unless the window starts in a day's first two hours): reading that day's row
    // would count it.
    const hoursAgo = [7 * 24 + 2, 7 * 24 - 2, 6 * 24, 5 * 24 + 3, 3 * 24, 26, 1, 0];
    const hours = hoursAgo.map((ago, index) => ({ start: bucketStart(new Date(now - ago * 3_600_000), 'h'), finished: 2 ** index }));
    const days = new Map<number, number>();
    for (const hour of hours) {
      const day = bucketStart(hour.start, 'd').getTime();
      days.set(day, (days.get(day) ?? 0) + hour.finished);
    }
    const rows = [
      ...hours.map((hour) => ['h', hour.start, hour.finished]),
      ...[...days].map(([day, finished]) => ['d', new Date(day), finished]),
    ].map(([grain, start, finished]) => [grain, start, 'test', 'test.spans', 'completed', '', 0, finished, 0]);
    await t.dataSource.query(
      'INSERT INTO background_task_stats (grain, bucket_start, task_type, task_name, status, error_type, duration_bucket, finished, duration_ms) VALUES ?',
      [rows],
    );
    const report = await t.tasks.getTaskStats({ windowMs: 7 * 86_400_000, taskName: 'test.spans' });
    const inWindow = hours.filter((hour) => hour.start >= report.from).reduce((sum, hour) => sum + hour.finished, 0);
    expect(inWindow).toBe(2 ** 8 - 2);
    expect(report.totals).toMatchObject({ finished: inWindow, completed: inWindow });
    expect(report.throughput.reduce((sum, point) => sum + point.completed, 0)).toBe(inWindow);
    await t.dataSource.query("DELETE FROM background_task_stats WHERE task_name = 'test.spans'");
  });
});
