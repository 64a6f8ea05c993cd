import { describe, expect, it } from '@jest/globals';
import { isAllowedTransition, isFinalStatus, TASK_TRANSITIONS, TaskStatus } from './task-status.js';

const { Pending, Running, Completed, Failed, Cancelled } = TaskStatus;

describe('the lifecycle table', () => {
  it.each([
    [Pending, Running],
    [Running, Completed],
    [Running, Pending],
    [Running, Failed],
    [Pending, Failed],
    [Pending, Cancelled],
    [Running, Cancelled],
    [Running, Running],
    [Failed, Pending],
    [Cancelled, Pending],
  ])('allows %s -> %s', (from, to) => {
    expect(isAllowedTransition(from, to)).toBe(true);
  });

  it.each([
    [Pending, Completed],
    [Completed, Running],
    [Completed, Pending],
    [Completed, Cancelled],
    [Failed, Running],
    [Failed, Completed],
    [Cancelled, Running],
    [Cancelled, Completed],
    [Completed, Failed],
  ])('refuses %s -> %s', (from, to) => {
    expect(isAllowedTransition(from, to)).toBe(false);
  });

  it('never leaves a final state through a worker transition; only a user retry reopens failed or cancelled', () => {
    for (const [name, rule] of Object.entries(TASK_TRANSITIONS)) {
      if (name === 'resubmit') continue;
      expect(rule.from.filter(isFinalStatus)).toEqual([]);
    }
    expect(TASK_TRANSITIONS.resubmit).toEqual({ from: [Failed, Cancelled], to: Pending });
    expect([Completed, Failed, Cancelled].every(isFinalStatus)).toBe(true);
    expect([Pending, Running].some(isFinalStatus)).toBe(false);
  });
});
