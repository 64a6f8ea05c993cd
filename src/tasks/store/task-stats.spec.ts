import { TaskStatus } from '../lifecycle/task-status.js';
import { bucketStart, NO_DURATION, outcomeSpans, statsDeltas } from './task-stats.js';

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

describe('outcomeSpans', () => {
  const at = (day: number, hour: number, minute = 0, second = 0) => new Date(2026, 10, day, hour, minute, second);

  it.each([
    ['the whole days of an hour window from the day rows', 'h', 'd', at(21, 9, 41, 30), at(28, 9, 41, 30), at(22, 0), at(28, 0)],
    ['the whole hours of a minute window from the hour rows', 'm', 'h', at(28, 3, 41, 30), at(28, 9, 41, 30), at(28, 4), at(28, 9)],
  ] as const)('reads %s, and only its two edges by its own grain', (_, grain, coarser, from, to, firstWhole, lastWholeEnd) => {
    expect(outcomeSpans(grain, from, to)).toEqual([
      { grain, from, to: firstWhole },
      { grain: coarser, from: firstWhole, to: lastWholeEnd },
      { grain, from: lastWholeEnd, to },
    ]);
  });

  it('leaves out an edge that is empty: a window starting or ending on a coarser boundary', () => {
    expect(outcomeSpans('h', at(21, 0), at(28, 0))).toEqual([{ grain: 'd', from: at(21, 0), to: at(28, 0) }]);
    expect(outcomeSpans('h', at(21, 0), at(28, 5))).toEqual([
      { grain: 'd', from: at(21, 0), to: at(28, 0) },
      { grain: 'h', from: at(28, 0), to: at(28, 5) },
    ]);
  });

  it('reads the grain alone when no coarser bucket lies wholly inside, and the day grain as it is', () => {
    expect(outcomeSpans('h', at(27, 9, 41), at(28, 9, 41))).toEqual([{ grain: 'h', from: at(27, 9, 41), to: at(28, 9, 41) }]);
    expect(outcomeSpans('m', at(28, 9, 1), at(28, 9, 59))).toEqual([{ grain: 'm', from: at(28, 9, 1), to: at(28, 9, 59) }]);
    expect(outcomeSpans('d', at(1, 9, 41), at(28, 9, 41))).toEqual([{ grain: 'd', from: at(1, 9, 41), to: at(28, 9, 41) }]);
  });
});
