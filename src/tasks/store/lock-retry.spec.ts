import { describe, expect, it } from '@jest/globals';
import { withLockRetry } from './lock-retry.js';

const conflict = (errno: number) => Object.assign(new Error('Deadlock found when trying to get lock'), { errno });

describe('withLockRetry', () => {
  it('runs a statement again after a deadlock or a lock-wait timeout, and returns its result', async () => {
    const failures = [conflict(1213), conflict(1205)];
    let calls = 0;
    const result = await withLockRetry(async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'inserted';
    });
    expect(result).toBe('inserted');
    expect(calls).toBe(3);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const duplicate = Object.assign(new Error('Duplicate entry'), { errno: 1062 });
    await expect(withLockRetry(async () => {
      calls++;
      throw duplicate;
    })).rejects.toBe(duplicate);
    expect(calls).toBe(1);
  });

  it('gives up after five conflicts in a row, throwing the last', async () => {
    let calls = 0;
    await expect(withLockRetry(async () => {
      calls++;
      throw conflict(1213);
    })).rejects.toMatchObject({ errno: 1213 });
    expect(calls).toBe(5);
  });

  it('reads the errno of a wrapped driver error too (TypeORM)', async () => {
    let calls = 0;
    await withLockRetry(async () => {
      if (calls++ === 0) throw Object.assign(new Error('QueryFailedError'), { driverError: { errno: 1213 } });
    });
    expect(calls).toBe(2);
  });
});
