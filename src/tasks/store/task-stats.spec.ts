import { TaskStatus } from '../lifecycle/task-status.js';
import { bucketStart, NO_DURATION, statsDeltas } from './task-stats.js';

describe('statsDeltas', () => {
  const now = new Date(2026, 10, 28, 9, 41, 30, 500);
  const task = (ms: number | null, status = TaskStatus.Completed) => ({
    taskType: 'email', taskName: 'email.send', status, errorType: null, startedAt: ms === null ? null : new Date(now.getTime() - ms),
  });

  it('sums the tasks of one key per grain (minute, hour, day), with their durations', () => {
    const rows = statsDeltas([task(3), task(7), task(40)], now);
    const slot = rows[0][7];
    expect(rows).toEqual([
      ['m', bucketStart(now, 'm'), 'email', 'email.send', TaskStatus.Completed, '', 0, slot, 2, 10],
      ['h', bucketStart(now, 'h'), 'email', 'email.send', TaskStatus.Completed, '', 0, slot, 2, 10],
      ['d', bucketStart(now, 'd'), 'email', 'email.send', TaskStatus.Completed, '', 0, slot, 2, 10],
      ['m', bucketStart(now, 'm'), 'email', 'email.send', TaskStatus.Completed, '', 2, slot, 1, 40],
      ['h', bucketStart(now, 'h'), 'email', 'email.send', TaskStatus.Completed, '', 2, slot, 1, 40],
      ['d', bucketStart(now, 'd'), 'email', 'email.send', TaskStatus.Completed, '', 2, slot, 1, 40],
    ]);
    expect(bucketStart(now, 'm')).toEqual(new Date(2026, 10, 28, 9, 41));
  });

  it('keeps statuses apart and puts a task that never started in the no-duration bucket', () => {
    const rows = statsDeltas([task(null, TaskStatus.Cancelled), task(5)], now);
    expect(rows.filter((row) => row[0] === 'm').map((row) => [row[4], row[6], row[8], row[9]])).toEqual([
      [TaskStatus.Cancelled, NO_DURATION, 1, 0],
      [TaskStatus.Completed, 0, 1, 5],
    ]);
  });
});
