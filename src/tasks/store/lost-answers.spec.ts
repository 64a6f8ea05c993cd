import { describe, expect, it, jest } from '@jest/globals';
import { TaskStatus, type TaskTransition } from '../lifecycle/task-status.js';
import type { LockedRow } from './committed-change.js';
import { LostAnswers } from './lost-answers.js';

const row = (taskId: string, status: TaskStatus): LockedRow =>
  ({ task_id: taskId, task_type: 'test', task_name: 'test.record', status, error_type: null, started_at: null, attempt_token: null, now: new Date() }) as LockedRow;
const request = (taskId: string, transition: TaskTransition) => ({ taskId, transition, values: {} });

describe('LostAnswers', () => {
  it('tells the change of a refused request whose row already holds its target, for ids an outage made uncertain only', () => {
    const lost = new LostAnswers();
    const told = jest.fn();
    lost.onUncertain(told);
    lost.uncertain(['done', 'cancelled', 'moved-on', 'applied']);
    expect(told).toHaveBeenCalledWith(['done', 'cancelled', 'moved-on', 'applied']);
    const batch = [request('done', 'complete'), request('cancelled', 'cancel'), request('moved-on', 'complete'), request('applied', 'start'), request('certain', 'complete')];
    const locked = [row('done', TaskStatus.Completed), row('cancelled', TaskStatus.Cancelled), row('moved-on', TaskStatus.Cancelled), row('applied', TaskStatus.Running), row('certain', TaskStatus.Completed)];
    expect(lost.revealedBy(batch, [false, false, false, true, false], locked)).toEqual([
      { kind: 'status', taskId: 'done', taskType: 'test', taskName: 'test.record', status: TaskStatus.Completed, errorType: null, progress: 100 },
      { kind: 'status', taskId: 'cancelled', taskType: 'test', taskName: 'test.record', status: TaskStatus.Cancelled, errorType: null },
    ]);
  });

  it('forgets the ids of a batch once it committed, and ids older than its window', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const lost = new LostAnswers();
      lost.uncertain(['a', 'b']);
      lost.settled([request('a', 'complete')]);
      const locked = [row('a', TaskStatus.Completed), row('b', TaskStatus.Completed)];
      expect(lost.revealedBy([request('a', 'complete'), request('b', 'complete')], [false, false], locked).map((change) => change.taskId)).toEqual(['b']);
      jest.setSystemTime(31_000);
      lost.uncertain(['c']);
      expect(lost.revealedBy([request('b', 'complete')], [false], locked)).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
});
