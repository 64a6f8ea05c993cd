import { describe, expect, it } from '@jest/globals';
import type { AttemptAbort } from './attempt-abort.js';
import { RunningAttempts } from './running-attempts.js';

describe('RunningAttempts', () => {
  const seenAbort = (attempts: RunningAttempts, taskId: string, processedOn: number | undefined) =>
    attempts.run({ taskId, processedOn }, async (abort: AttemptAbort) => ({ aborted: abort.aborted, reason: abort.reason }));

  it('aborts a running attempt and says it runs here', async () => {
    const attempts = new RunningAttempts();
    let release!: () => void;
    const running = attempts.run({ taskId: 't1', processedOn: 1 }, (abort) => new Promise<unknown>((resolve) => (release = () => resolve(abort.reason))));
    expect(attempts.abort('t1', 'cancelled', 1)).toBe(true);
    release();
    expect(await running).toBe('cancelled');
  });

  it('aborts, as it begins, the attempt of the fetch an early abort named, once', async () => {
    const attempts = new RunningAttempts();
    expect(attempts.abort('t1', 'cancelled', 42)).toBe(false);
    expect(await seenAbort(attempts, 't1', 42)).toEqual({ aborted: true, reason: 'cancelled' });
    expect(await seenAbort(attempts, 't1', 42)).toEqual({ aborted: false, reason: undefined });
  });

  it('leaves alone an attempt of another fetch of the job (a retry after the cancel) and an abort that names no fetch', async () => {
    const attempts = new RunningAttempts();
    attempts.abort('t1', 'cancelled', 42);
    attempts.abort('t2', 'cancelled');
    expect(await seenAbort(attempts, 't1', 43)).toEqual({ aborted: false, reason: undefined });
    expect(await seenAbort(attempts, 't2', 7)).toEqual({ aborted: false, reason: undefined });
  });

  it('lists the attempts running here, and apart those not aborted', async () => {
    const attempts = new RunningAttempts();
    const releases: Array<() => void> = [];
    const running = ['t1', 't2'].map((taskId) => attempts.run({ taskId, processedOn: 1 }, () => new Promise<void>((resolve) => releases.push(resolve))));
    attempts.abort('t1', 'cancelled');
    expect(attempts.taskIds()).toEqual(['t1', 't2']);
    expect(attempts.unabortedTaskIds()).toEqual(['t2']);
    releases.forEach((release) => release());
    await Promise.all(running);
    expect(attempts.taskIds()).toEqual([]);
  });

  it('aborts an attempt whose lock another token holds, or none, and leaves the one that holds it', async () => {
    const attempts = new RunningAttempts();
    const releases: Array<() => void> = [];
    const hold = (taskId: string, lockToken: string) =>
      attempts.run({ taskId, processedOn: 1, lockToken }, (abort) => new Promise<unknown>((resolve) => releases.push(() => resolve(abort.reason))));
    const running = [hold('t1', 'a'), hold('t2', 'b'), hold('t3', 'c')];
    expect(attempts.abortUnlessLockedBy('t1', 'a', 'job lock lost')).toBe(false);
    expect(attempts.abortUnlessLockedBy('t2', 'x', 'job lock lost')).toBe(true);
    expect(attempts.abortUnlessLockedBy('t3', null, 'job lock lost')).toBe(true);
    expect(attempts.abortUnlessLockedBy('t4', null, 'job lock lost')).toBe(false);
    expect(attempts.abortUnlessLockedBy('t2', null, 'job lock lost')).toBe(false);
    releases.forEach((release) => release());
    expect(await Promise.all(running)).toEqual([undefined, 'job lock lost', 'job lock lost']);
  });

  it('keeps tracking a later fetch of the same task when the earlier attempt ends', async () => {
    const attempts = new RunningAttempts();
    let releaseFirst!: () => void;
    const first = attempts.run({ taskId: 't1', processedOn: 1, lockToken: 'a' }, () => new Promise<void>((resolve) => (releaseFirst = resolve)));
    let releaseSecond!: () => void;
    const second = attempts.run({ taskId: 't1', processedOn: 2, lockToken: 'b' }, () => new Promise<void>((resolve) => (releaseSecond = resolve)));
    releaseFirst();
    await first;
    expect(attempts.taskIds()).toEqual(['t1']);
    releaseSecond();
    await second;
    expect(attempts.taskIds()).toEqual([]);
  });
});
