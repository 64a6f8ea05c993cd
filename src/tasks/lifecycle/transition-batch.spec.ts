import { describe, expect, it } from '@jest/globals';
import { TaskStatus } from './task-status.js';
import { applyTransitions, type RowState, type TransitionRequest } from './transition-batch.js';

const rows = (entries: Record<string, Partial<RowState>>) =>
  new Map(Object.entries(entries).map(([id, row]) => [id, { status: TaskStatus.Pending, startedAt: null, ...row }]));

describe('applyTransitions', () => {
  it('applies a start then a completion of one task in one batch', () => {
    const requests: TransitionRequest[] = [
      { taskId: 'a', transition: 'start', values: {} },
      { taskId: 'a', transition: 'complete', values: { result: { ok: true }, errorMessage: null } },
    ];
    const { outcomes, changes } = applyTransitions(requests, rows({ a: {} }));
    expect(outcomes).toEqual([true, true]);
    expect(changes.get('a')).toEqual({
      status: TaskStatus.Completed, started: true, finished: true, reopened: false, values: { result: { ok: true }, errorMessage: null },
    });
  });

  it('refuses what the table refuses, in order: a completion after a cancel changes nothing', () => {
    const requests: TransitionRequest[] = [
      { taskId: 'a', transition: 'cancel', values: {} },
      { taskId: 'a', transition: 'complete', values: { result: 1 } },
      { taskId: 'b', transition: 'complete', values: { result: 2 } },
    ];
    const { outcomes, changes } = applyTransitions(requests, rows({ a: { status: TaskStatus.Running }, b: {} }));
    expect(outcomes).toEqual([true, false, false]);
    expect(changes.get('a')).toEqual({ status: TaskStatus.Cancelled, started: false, finished: true, reopened: false, values: {} });
    expect(changes.has('b')).toBe(false);
  });

  it('refuses every request for a task that has no row', () => {
    const { outcomes, changes } = applyTransitions([{ taskId: 'x', transition: 'start', values: {} }], new Map());
    expect(outcomes).toEqual([false]);
    expect(changes.size).toBe(0);
  });

  it('never moves a final row', () => {
    for (const status of [TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled]) {
      const requests: TransitionRequest[] = (['start', 'complete', 'requeue', 'fail', 'cancel'] as const).map((transition) => ({
        taskId: 'a', transition, values: {},
      }));
      expect(applyTransitions(requests, rows({ a: { status } })).outcomes).toEqual([false, false, false, false, false]);
    }
  });

  it('applies a guarded write only to the attempt it read', () => {
    const startedAt = new Date('2026-01-01T00:00:00.123Z');
    const running = rows({ a: { status: TaskStatus.Running, startedAt } });
    const stale = { taskId: 'a', transition: 'requeue' as const, values: { retryCount: 1 }, guard: { startedAt: new Date(startedAt.getTime() - 1) } };
    const fresh = { ...stale, guard: { startedAt: new Date(startedAt.getTime()) } };
    expect(applyTransitions([stale], running).outcomes).toEqual([false]);
    expect(applyTransitions([fresh], running).outcomes).toEqual([true]);
    // An attempt that started in the same batch is newer than any guard.
    expect(applyTransitions([{ taskId: 'a', transition: 'start', values: {} }, fresh], running).outcomes).toEqual([true, false]);
  });

  it("applies a worker's token-guarded write only while the row holds that attempt's token", () => {
    const running = rows({ a: { status: TaskStatus.Running, attemptToken: 'aaaa' } });
    const late = { taskId: 'a', transition: 'complete' as const, values: { result: 1 }, guard: { attemptToken: 'old1' } };
    const own = { ...late, guard: { attemptToken: 'aaaa' } };
    expect(applyTransitions([late], running).outcomes).toEqual([false]);
    expect(applyTransitions([own], running).outcomes).toEqual([true]);
    // A start in the same batch hands the row to the new attempt's token.
    const restarted = applyTransitions([{ taskId: 'a', transition: 'start', values: { attemptToken: 'bbbb' } }, own, { ...own, guard: { attemptToken: 'bbbb' } }], running);
    expect(restarted.outcomes).toEqual([true, false, true]);
    expect(restarted.changes.get('a')!.values.attemptToken).toBe('bbbb');
  });

  it("reopens a failed or cancelled row on a user's retry (resubmit) and refuses it for any other state", () => {
    const request = { taskId: 'a', transition: 'resubmit' as const, values: { retryCount: 0 } };
    for (const status of [TaskStatus.Failed, TaskStatus.Cancelled]) {
      const { outcomes, changes } = applyTransitions([request], rows({ a: { status } }));
      expect(outcomes).toEqual([true]);
      expect(changes.get('a')).toEqual({ status: TaskStatus.Pending, started: false, finished: false, reopened: true, values: { retryCount: 0 } });
    }
    for (const status of [TaskStatus.Pending, TaskStatus.Running, TaskStatus.Completed]) {
      expect(applyTransitions([request], rows({ a: { status } })).outcomes).toEqual([false]);
    }
  });

  it('lets the reconciler fail a pending row whose job the queue gave up on (abandon), and nothing else', () => {
    const request = { taskId: 'a', transition: 'abandon' as const, values: {} };
    expect(applyTransitions([request], rows({ a: { status: TaskStatus.Pending } })).changes.get('a')).toMatchObject({ status: TaskStatus.Failed, finished: true });
    for (const status of [TaskStatus.Running, TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled]) {
      expect(applyTransitions([request], rows({ a: { status } })).outcomes).toEqual([false]);
    }
  });

  it("writes an attempt whose running was never written as start and outcome in one change (the one-write path)", () => {
    const guard = { attemptToken: 'aaaa', startsAt: 1234.5 };
    const outcome = { taskId: 'a', transition: 'complete' as const, values: { result: 7 }, guard };
    const { outcomes, changes } = applyTransitions([outcome], rows({ a: {} }));
    expect(outcomes).toEqual([true]);
    expect(changes.get('a')).toEqual({
      status: TaskStatus.Completed, started: true, finished: true, reopened: false, values: { attemptToken: 'aaaa', startedAt: 1234.5, result: 7 },
    });
    const failed = applyTransitions([{ ...outcome, transition: 'fail' as const, values: { errorMessage: 'x' } }], rows({ a: {} }));
    expect(failed.changes.get('a')).toMatchObject({ status: TaskStatus.Failed, started: true, finished: true });
  });

  it('refuses the one-write outcome as a whole when the start no longer holds: a cancelled row stays cancelled', () => {
    const outcome = { taskId: 'a', transition: 'complete' as const, values: { result: 7 }, guard: { attemptToken: 'aaaa', startsAt: 1 } };
    for (const status of [TaskStatus.Cancelled, TaskStatus.Completed, TaskStatus.Failed]) {
      const { outcomes, changes } = applyTransitions([outcome], rows({ a: { status } }));
      expect(outcomes).toEqual([false]);
      expect(changes.size).toBe(0);
    }
    // A cancel that lands first in the same batch wins too.
    const raced = applyTransitions([{ taskId: 'a', transition: 'cancel', values: {} }, outcome], rows({ a: {} }));
    expect(raced.outcomes).toEqual([true, false]);
    expect(raced.changes.get('a')).toMatchObject({ status: TaskStatus.Cancelled, started: false });
  });
});
