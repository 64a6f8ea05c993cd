import { describe, expect, it } from '@jest/globals';
import type { AttemptAbort } from './attempt-abort.js';
import { RunningAttempts } from './running-attempts.js';

describe('RunningAttempts', () => {
  const seenAbort = (attempts: RunningAttempts, taskId: string, processedOn: number | undefined) =>
    attempts.run(taskId, processedOn, async (abort: AttemptAbort) => ({ aborted: abort.aborted, reason: abort.reason }));

  it('aborts a running attempt and says it runs here', async () => {
    const attempts = new RunningAttempts();
    let release!: () => void;
    const running = attempts.run('t1', 1, (abort) => new Promise<unknown>((resolve) => (release = () => resolve(abort.reason))));
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
    const running = ['t1', 't2'].map((taskId) => attempts.run(taskId, 1, () => new Promise<void>((resolve) => releases.push(resolve))));
    attempts.abort('t1', 'cancelled');
    expect(attempts.taskIds()).toEqual(['t1', 't2']);
    expect(attempts.unabortedTaskIds()).toEqual(['t2']);
    releases.forEach((release) => release());
    await Promise.all(running);
    expect(attempts.taskIds()).toEqual([]);
  });
});
