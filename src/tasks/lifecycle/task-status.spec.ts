import { describe, expect, it } from '@jest/globals';
import { isAllowedTransition, isAllowedWrite, isFinalStatus, TASK_TRANSITIONS, TaskStatus } from './task-status.js';

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

  it("lets one row write carry an attempt's start with its outcome (pending -> completed | failed), and nothing more", () => {
    expect(isAllowedWrite(Pending, Completed)).toBe(true);
    expect(isAllowedWrite(Pending, Failed)).toBe(true);
    expect(isAllowedWrite(Running, Completed)).toBe(true);
    for (const from of [Completed, Failed, Cancelled]) {
      for (const to of [Pending, Running, Completed, Failed, Cancelled].filter((status) => status !== from)) {
        expect(isAllowedWrite(from, to)).toBe(isAllowedTransition(from, to));
      }
    }
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
