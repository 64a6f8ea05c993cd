import { describe, expect, it } from '@jest/globals';
import { isAllowedTransition, isFinalStatus, TASK_TRANSITIONS, TaskStatus } from './task-status.js';

const { Pending, Running, Completed, Failed, Cancelled } = TaskStatus;

describe('the lifecycle table', () => {
  it.each([
    [Pending, Running],
    [Running, Completed],
    [Running, Pending],
    [Running, Failed],
    [Pending, Cancelled],
    [Running, Cancelled],
    [Running, Running],
  ])('allows %s -> %s', (from, to) => {
    expect(isAllowedTransition(from, to)).toBe(true);
  });

  it.each([
    [Pending, Completed],
    [Pending, Failed],
    [Completed, Running],
    [Completed, Pending],
    [Completed, Cancelled],
    [Failed, Running],
    [Failed, Completed],
    [Cancelled, Running],
    [Cancelled, Completed],
    [Cancelled, Pending],
  ])('refuses %s -> %s', (from, to) => {
    expect(isAllowedTransition(from, to)).toBe(false);
  });

  it('never leaves a final state through a worker transition', () => {
    for (const rule of Object.values(TASK_TRANSITIONS)) {
      expect(rule.from.filter(isFinalStatus)).toEqual([]);
    }
    expect([Completed, Failed, Cancelled].every(isFinalStatus)).toBe(true);
    expect([Pending, Running].some(isFinalStatus)).toBe(false);
  });
});
