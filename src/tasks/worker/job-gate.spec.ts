import { describe, expect, it } from '@jest/globals';
import { expiredMessage, mayAwaitItsHandler, passedExpiry } from './job-gate.js';

describe('passedExpiry', () => {
  const now = Date.parse('2030-01-15T10:30:00.000Z');
  it.each([
    ['no expiry', undefined, undefined],
    ['an expiry ahead', now + 1, undefined],
    ['an expiry now', now, new Date(now)],
    ['an expiry behind', now - 1, new Date(now - 1)],
  ])('reads %s', (_case, expiresAt, expected) => {
    expect(passedExpiry({ params: {}, ...(expiresAt === undefined ? {} : { expiresAt }) }, now)).toEqual(expected);
  });

  it('says when in the row', () => {
    expect(expiredMessage(new Date(now))).toBe('expired: not started by 2030-01-15T10:30:00.000Z');
  });
});

describe('mayAwaitItsHandler', () => {
  const now = 1_000_000_000;
  it.each([
    ['due 1 s ago, 2 s of grace', { timestamp: now - 1000, opts: {} }, 2000, true],
    ['due 3 s ago, 2 s of grace', { timestamp: now - 3000, opts: {} }, 2000, false],
    ['enqueued an hour ago with an hour of delay', { timestamp: now - 3_600_000, opts: { delay: 3_600_000 } }, 2000, true],
    ['no grace', { timestamp: now, opts: {} }, 0, false],
  ])('%s: %s', (_case, job, graceMs, expected) => {
    expect(mayAwaitItsHandler(job, graceMs, now)).toBe(expected);
  });
});
