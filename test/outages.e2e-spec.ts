import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskStatus } from '../src/tasks/index.js';
import { startPrivateMariaDb, startPrivateRedis, type PrivateService } from './support/private-services.js';
import { createTestApp, waitFor, waitForJobState, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/**
 * MySQL and Redis going away under a running app. The suite runs its own MariaDB and Redis on
 * spare ports, so it can kill and restart them without touching the machine's services.
 */
describe('outages of MySQL and Redis (private MariaDB + Redis)', () => {
  let mysql: PrivateService;
  let redis: PrivateService;
  let t: TestApp;

  beforeAll(async () => {
    [mysql, redis] = await Promise.all([startPrivateMariaDb(), startPrivateRedis()]);
    t = await createTestApp({ suite: 'outages', providers: [TestTasks], mysqlServerUrl: mysql.url, redisUrl: redis.url });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await Promise.all([mysql?.destroy(), redis?.destroy()]);
  });

  const timed = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await call();
    } finally {
      console.log(`${what}: answered in ${Date.now() - started} ms`);
    }
  };

  it('answers 503 while MySQL is down, creates no job, and writes the transitions of running handlers when it is back', async () => {
    const { taskId: running } = await t.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 1500 } });
    await waitFor(() => t.app.get(TestTasks).callsOf(running).length === 1, 'the handler to start');

    await mysql.kill();
    const enqueue = await timed('enqueue with MySQL down', () =>
      t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record' }),
    );
    expect(enqueue.status).toBe(503);
    expect(enqueue.body.message).toBe('MySQL is unavailable, try again later');
    const read = await timed('status with MySQL down', () => t.http().get(`/api/tasks/${running}`));
    expect(read.status).toBe(503);
    expect((await t.http().get('/api/tasks')).status).toBe(503);
    expect((await t.http().get('/api/tasks/count/all')).status).toBe(503);
    expect((await t.http().post(`/api/tasks/${running}/cancel`)).status).toBe(503);
    // The handler returns while MySQL is down; its `completed` must wait, not vanish.
    await waitFor(() => t.app.get(TestTasks).finished.has(running), 'the handler to return');

    await mysql.start();
    const row = await waitFor(async () => {
      const task = await t.tasks.getTaskStatus(running).catch(() => undefined);
      return task?.status === TaskStatus.Completed && task;
    }, 'the completed transition to be written', 30_000);
    expect(row.result).toEqual({ slept: 1500 });
    // The row is written before the job finishes in Redis; then no job may be left.
    await waitForJobState(t.queue('test'), running, 'completed');
    const jobs = await t.queue('test').getJobCounts('wait', 'prioritized', 'delayed', 'active');
    expect(Object.values(jobs).reduce((sum, n) => sum + n, 0)).toBe(0);
    expect(await t.tasks.getTaskCount()).toBe(1);
  });

  it('answers 503 while Redis is down (enqueue, cancel, workers, stats), leaves no row behind, and the workers resume when it is back', async () => {
    const { taskId: waiting } = await t.tasks.enqueue({ taskName: 'test.record', delaySeconds: 3600 });
    await redis.kill();
    const enqueue = await timed('enqueue with Redis down', () =>
      t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record' }),
    );
    expect(enqueue.status).toBe(503);
    expect(enqueue.body.message).toBe('Redis is unavailable, try again later');
    expect(await t.tasks.getTaskCount()).toBe(2); // the task of the previous test, and the waiting one
    // A cancel needs Redis (its mark keeps a handler from starting unseen): refused, the row untouched.
    const cancel = await t.http().post(`/api/tasks/${waiting}/cancel`);
    expect({ status: cancel.status, message: cancel.body.message }).toEqual({ status: 503, message: 'Redis is unavailable, try again later' });
    expect((await t.tasks.getTaskStatus(waiting)).status).toBe(TaskStatus.Pending);
    // Reads of the queues say so too, rather than "no worker".
    for (const route of ['/api/tasks/workers', '/api/tasks/stats']) {
      const read = await t.http().get(route);
      expect({ route, status: read.status, message: read.body.message }).toEqual({ route, status: 503, message: 'Redis is unavailable, try again later' });
    }

    await redis.start();
    const { taskId } = await waitFor(
      () => t.tasks.enqueue({ taskName: 'test.record', params: { label: 'after' } }).catch(() => undefined),
      'enqueue to work again',
      30_000,
    );
    await waitFor(async () => (await t.tasks.getTaskStatus(taskId)).status === TaskStatus.Completed, 'a task to run after the restart', 30_000);
    // The worker's reconnected connection carries its queue's name again: it is counted.
    expect((await t.tasks.getWorkers('test'))[0].workers).toHaveLength(1);
    // Each of the app's Redis connections reconnects on its own backoff (up to 2 s apart): the
    // cancel's may answer 503 a little longer than the enqueue's did, then it must succeed.
    const cancelled = await waitFor(async () => {
      const answer = await t.http().post(`/api/tasks/${waiting}/cancel`);
      expect([200, 503]).toContain(answer.status);
      return answer.status === 200 && answer;
    }, 'the cancel to work again', 30_000);
    expect(cancelled.body).toMatchObject({ task_id: waiting, success: true });
    expect((await t.tasks.getTaskStatus(waiting)).status).toBe(TaskStatus.Cancelled);
  });
});
