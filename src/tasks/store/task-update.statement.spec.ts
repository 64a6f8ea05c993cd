import { TaskStatus } from '../lifecycle/task-status.js';
import type { RowChange } from '../lifecycle/transition-batch.js';
import { batchUpdateStatement } from './task-update.statement.js';

const completion = (result: unknown): RowChange => ({ status: TaskStatus.Completed, started: false, finished: true, reopened: false, values: { result, errorMessage: null, errorType: null } });
const requeue: RowChange = { status: TaskStatus.Pending, started: false, finished: false, reopened: false, values: { errorMessage: 'interrupted' } };
const start: RowChange = { status: TaskStatus.Running, started: true, finished: false, reopened: false, values: { attemptToken: 't1' } };
const resubmit: RowChange = { status: TaskStatus.Pending, started: false, finished: false, reopened: true, values: { result: null, retryCount: 0, runAfterMs: null } };

describe('batchUpdateStatement', () => {
  it('sets a column without CASE when every row of the statement gets the same value', () => {
    const [sql, parameters] = batchUpdateStatement(new Map([['a', completion(null)], ['b', completion(null)]]));
    expect(sql).toContain('status = ?,');
    expect(sql).toContain('completed_at = CURRENT_TIMESTAMP(3)');
    expect(sql).toContain('progress = ?');
    expect(sql).not.toContain('CASE');
    expect(parameters[0]).toBe(TaskStatus.Completed);
    expect(parameters.at(-1)).toEqual(['a', 'b']);
  });

  it('gives each row its own value when the values differ', () => {
    const [sql, parameters] = batchUpdateStatement(new Map([['a', completion({ n: 1 })], ['b', completion({ n: 2 })]]));
    expect(sql).toContain('status = ?,');
    expect(sql).toContain('result = CASE task_id WHEN ? THEN ? WHEN ? THEN ? ELSE result END');
    expect(parameters).toEqual(expect.arrayContaining(['a', '{"n":1}', 'b', '{"n":2}']));
  });

  it('keeps a CASE when some rows of the statement do not set the column', () => {
    const [mixed] = batchUpdateStatement(new Map([['a', completion(null)], ['b', requeue]]));
    expect(mixed).toContain('status = CASE task_id WHEN ? THEN ? WHEN ? THEN ? ELSE status END');
    expect(mixed).toContain('completed_at = CASE WHEN task_id IN (?) THEN CURRENT_TIMESTAMP(3) ELSE completed_at END');
    // A released workflow step shares the statement without a status change of its own.
    const [withRelease, parameters] = batchUpdateStatement(new Map([['a', completion(null)]]), performance.now(), { unblock: new Map([['s', { x: 1 }]]), block: new Set() });
    expect(withRelease).toContain('status = CASE task_id WHEN ? THEN ? ELSE status END');
    expect(withRelease).toContain('blocked = CASE task_id WHEN ? THEN ? ELSE blocked END');
    expect(parameters.at(-1)).toEqual(['a', 's']);
  });

  it('clears a stamp without CASE only when no row of the statement is stamped', () => {
    const [allReopened] = batchUpdateStatement(new Map([['a', resubmit], ['b', resubmit]]));
    expect(allReopened).toContain('started_at = NULL');
    const [startedAndReopened] = batchUpdateStatement(new Map([['a', start], ['b', resubmit]]));
    expect(startedAndReopened).toContain('started_at = CASE WHEN task_id IN (?) THEN CURRENT_TIMESTAMP(3) WHEN task_id IN (?) THEN NULL ELSE started_at END');
  });

  it("writes an attempt's token only on a row the statement leaves running", () => {
    const startAndComplete: RowChange = { status: TaskStatus.Completed, started: true, finished: true, reopened: false, values: { attemptToken: 't2', result: null, errorMessage: null, errorType: null } };
    const [onlyRunning, parameters] = batchUpdateStatement(new Map([['a', start], ['b', startAndComplete]]));
    expect(onlyRunning).toContain('attempt_token = CASE task_id WHEN ? THEN ? ELSE attempt_token END');
    expect(parameters).toEqual(expect.arrayContaining(['t1']));
    expect(parameters).not.toContain('t2');
    const [noneRunning] = batchUpdateStatement(new Map([['b', startAndComplete]]));
    expect(noneRunning).not.toContain('attempt_token');
  });

  it('back-dates the rows started the same whole milliseconds ago in one branch', () => {
    const now = 1000;
    const startedAt = (msAgo: number): RowChange => ({ ...start, values: { attemptToken: 't', startedAt: now - msAgo - 0.25 } });
    const [sql, parameters] = batchUpdateStatement(new Map([['a', startedAt(3)], ['b', startedAt(0)], ['c', startedAt(3)], ['d', start]]), now);
    expect(sql).toContain(
      'started_at = CASE WHEN task_id IN (?) THEN TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)) WHEN task_id IN (?) THEN TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)) WHEN task_id IN (?) THEN CURRENT_TIMESTAMP(3) ELSE started_at END',
    );
    expect(parameters.slice(parameters.indexOf(TaskStatus.Running) + 1, parameters.indexOf(TaskStatus.Running) + 6)).toEqual([['a', 'c'], -3000, ['b'], -0, ['d']]);
  });
});
