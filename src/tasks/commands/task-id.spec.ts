import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { newTaskId } from './task-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The milliseconds an id carries in its first 48 bits. */
const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('newTaskId', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('is a UUID version 7 whose first 48 bits are the time it was made', () => {
    const before = Date.now();
    const id = newTaskId();
    expect(id).toMatch(UUID_V7);
    expect(msOf(id)).toBeGreaterThanOrEqual(before);
    expect(msOf(id)).toBeLessThanOrEqual(Date.now());
  });

  it('makes strictly increasing ids, unique, within a millisecond and past 4,096 of them in one', () => {
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 60_000);
    const ids = Array.from({ length: 10_000 }, () => newTaskId());
    expect(ids.every((id, index) => index === 0 || id > ids[index - 1])).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => UUID_V7.test(id))).toBe(true);
  });

  it('keeps the order when the clock steps back', () => {
    const now = Date.now() + 120_000;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    const first = newTaskId();
    clock.mockReturnValue(now - 5_000);
    const second = newTaskId();
    expect(second > first).toBe(true);
    expect(msOf(second)).toBeGreaterThanOrEqual(msOf(first));
  });

  it('draws its last 62 bits at random: ids made in the same millisecond differ there', () => {
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 180_000);
    const tails = new Set(Array.from({ length: 1_000 }, () => newTaskId().slice(20)));
    expect(tails.size).toBe(1_000);
  });
});
