import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import { TaskStatus } from '../src/tasks/index.js';
import { DemoProcess } from './faults/demo-process.js';
import { startPrivateRedis } from './support/private-services.js';
import { createTestApp, MYSQL_SERVER_URL, waitFor, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/** Shutting a worker application down while handlers run: no row may be left `running`. */
describe('graceful shutdown (MariaDB + Redis)', () => {
  let observer: TestApp;

  beforeAll(async () => {
    // An api-only app that outlives the workers under test, to read rows and jobs.
    observer = await createTestApp({ suite: 'shutdown', role: 'api', providers: [TestTasks] });
  });
  afterAll(() => observer.close());

  const startWorker = (graceMs: number) =>
    createTestApp({
      suite: 'shutdown',
      role: 'worker',
      providers: [TestTasks],
      shareWith: observer,
      tasks: { shutdownGraceMs: graceMs, shutdownAbortGraceMs: 300 },
    });

  async function startedIn(worker: TestApp, taskId: string): Promise<void> {
    await waitFor(() => worker.app.get(TestTasks).callsOf(taskId).length === 1, 'the handler to start');
  }

  it('lets a running handler finish within the grace period', async () => {
    const worker = await startWorker(10_000);
    const { taskId } = await observer.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 300 } });
    await startedIn(worker, taskId);
    await worker.close();
    const row = await observer.tasks.getTaskStatus(taskId);
    expect(row.status).toBe(TaskStatus.Completed);
  });

  it('aborts a handler still running after the grace period and hands its task back to the queue', async () => {
    const worker = await startWorker(200);
    const { taskId } = await observer.tasks.enqueue({ taskName: 'test.until_aborted', maxRetries: 3 });
    await startedIn(worker, taskId);
    await worker.close();
    expect(worker.app.get(TestTasks).aborted.has(taskId)).toBe(true);

    const row = await observer.tasks.getTaskStatus(taskId);
    expect(row.status).toBe(TaskStatus.Pending);
    expect(row.retryCount).toBe(0); // an interrupted attempt is not a failed one
    const job = (await observer.queue('test').getJob(taskId))!;
    expect(['delayed', 'waiting', 'prioritized']).toContain(await job.getState());
    expect(job.attemptsMade).toBe(0);

    // The next worker runs it again.
    const next = await startWorker(200);
    try {
      await startedIn(next, taskId);
      expect(await observer.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Running });
      await observer.tasks.cancelTask(taskId);
    } finally {
      await next.close();
    }
    expect((await observer.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
  });

  it('puts the row of a handler that ignores its signal back to pending', async () => {
    const worker = await startWorker(100);
    const fixtures = worker.app.get(TestTasks);
    const { taskId } = await observer.tasks.enqueue({ taskName: 'test.ignores_abort', params: { ms: 1500 } });
    await startedIn(worker, taskId);
    await worker.close();
    expect(fixtures.aborted.has(taskId)).toBe(true);
    expect(fixtures.finished.has(taskId)).toBe(false);
    expect((await observer.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Pending);

    // Its late return comes after its application closed (it can write nothing any more): the row
    // stays pending for the next worker. That a late result is dropped while its writer still
    // lives is the cancel suite's "keeps a cancelled task cancelled when its handler ignores the signal".
    await waitFor(() => fixtures.finished.has(taskId), 'the ignoring handler to return');
    expect((await observer.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Pending);
    await observer.tasks.cancelTask(taskId);
  });

  it('ends a worker process on SIGTERM although Redis is unreachable: BullMQ\'s closes are bounded, then dropped', async () => {
    // BullMQ's Worker.close() and Relay.close() wait for Redis; without a bound the process never exited.
    const redis = await startPrivateRedis();
    const database = `tasks_test_shutdown_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(`${MYSQL_SERVER_URL}/${database}`);
    const demo = new DemoProcess('no-redis', { DATABASE_URL: `${MYSQL_SERVER_URL}/${database}`, REDIS_URL: redis.url, PORT: '0', TASKS_QUEUE_PREFIX: database });
    try {
      await demo.start(/Listening on/);
      await redis.kill();
      // Without the bounds it was still running when the helper's SIGKILL came, 30 s later.
      expect(await demo.stop()).toBe('SIGTERM');
      // The relay's close always waits (its last command queues for a Redis that never comes back);
      // the workers' close waits only when Redis died under their blocking read, so it is not asserted.
      expect(demo.logTail()).toContain('The cancel relay: not closed within 5000 ms (is Redis reachable?), connections dropped');
    } finally {
      await demo.kill();
      await redis.destroy();
      await dropDatabase(`${MYSQL_SERVER_URL}/${database}`);
    }
  }, 60_000);
});
