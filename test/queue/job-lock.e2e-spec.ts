import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { jobLockKey, reclaimJobLock } from '../../src/tasks/queue/job-lock.js';
import { deleteRedisKeys, REDIS_URL, uniqueSuiteId } from '../support/test-app.js';

/** When a worker may take back the lock of a job it runs (see watchLostLocks): only while nobody else has the job. */
describe('taking back an expired job lock (Redis)', () => {
  const prefix = uniqueSuiteId('joblock');
  let connection: Redis;
  let queue: Queue;
  let worker: Worker;

  beforeAll(async () => {
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue('locks', { connection, prefix });
    worker = new Worker('locks', null, { connection, prefix, autorun: false });
  });
  afterAll(async () => {
    await worker.close();
    await queue.close();
    connection.disconnect();
    await deleteRedisKeys(prefix);
  });

  /** A job fetched by the worker with `token`, as BullMQ does before calling a processor: active, locked. */
  async function fetched(token: string): Promise<string> {
    await queue.add('job', {}, { jobId: token });
    const job = await worker.getNextJob(token);
    return job!.id!;
  }

  it('takes back the lock of an active job that has none, and takes it off the stalled set', async () => {
    const jobId = await fetched('t-active');
    await connection.del(jobLockKey(worker, jobId));
    await connection.sadd(worker.toKey('stalled'), jobId);
    expect(await reclaimJobLock(connection, worker, jobId, 't-active', 5000)).toBe(true);
    expect(await connection.get(jobLockKey(worker, jobId))).toBe('t-active');
    expect(await connection.pttl(jobLockKey(worker, jobId))).toBeGreaterThan(4000);
    expect(await connection.sismember(worker.toKey('stalled'), jobId)).toBe(0);
  });

  it('leaves a lock that another token holds', async () => {
    const jobId = await fetched('t-taken');
    await connection.set(jobLockKey(worker, jobId), 'another-worker');
    expect(await reclaimJobLock(connection, worker, jobId, 't-taken', 5000)).toBe(false);
    expect(await connection.get(jobLockKey(worker, jobId))).toBe('another-worker');
  });

  it('does not lock a job that is no longer active (handed back to the queue)', async () => {
    await queue.add('job', {}, { jobId: 't-waiting' });
    expect(await reclaimJobLock(connection, worker, 't-waiting', 't-waiting', 5000)).toBe(false);
    expect(await connection.exists(jobLockKey(worker, 't-waiting'))).toBe(0);
  });
});
