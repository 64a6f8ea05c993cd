import { describe, expect, it } from '@jest/globals';
import { AttemptAbort } from './attempt-abort.js';

describe('AttemptAbort', () => {
  it('fires a signal the handler already holds, with the reason', () => {
    const abort = new AttemptAbort();
    const signal = abort.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    abort.abort('cancelled');
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual(['cancelled']);
  });

  it('hands out an already aborted signal when the handler asks after the abort', () => {
    const abort = new AttemptAbort();
    abort.abort('worker shutdown');
    expect(abort.aborted).toBe(true);
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe('worker shutdown');
  });

  it('keeps the first reason: a later abort neither replaces it nor fires again', () => {
    const abort = new AttemptAbort();
    const signal = abort.signal;
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    abort.abort('cancelled');
    abort.abort(new Error('time limit'));
    expect(abort.reason).toBe('cancelled');
    expect(signal.reason).toBe('cancelled');
    expect(fired).toBe(1);
  });

  it('is not aborted and hands out one signal until something aborts it', () => {
    const abort = new AttemptAbort();
    expect(abort.aborted).toBe(false);
    expect(abort.reason).toBeUndefined();
    expect(abort.signal).toBe(abort.signal);
    expect(abort.signal.aborted).toBe(false);
  });
});
