import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createTestApp, REDIS_URL, uniqueSuiteId, waitFor, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

interface QueueWorkersBody {
  queue: string;
  task_type: string;
  worker_count: number | null;
  workers: Array<{ address: string; connected_seconds: number }> | null;
}

/** `GET /api/tasks/workers` of `app`, by queue. */
async function workersByQueue(app: TestApp, query = ''): Promise<Map<string, QueueWorkersBody>> {
  const response = await app.http().get(`/api/tasks/workers${query}`).expect(200);
  return new Map((response.body.queues as QueueWorkersBody[]).map((queue) => [queue.queue, queue]));
}

/** The value of `background_tasks_queue_workers{queue="…"}` in `app`'s /metrics, or undefined. */
async function workersMetric(app: TestApp, queue: string): Promise<number | undefined> {
  const text = (await app.http().get('/metrics').expect(200)).text;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`background_tasks_queue_workers{queue="${queue}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/**
 * Three apps of one deployment, each standing for a process (one database, one queue prefix,
 * connections of their own): `all` serves every queue with a handler (`test`, `email`),
 * `emailOnly` serves `email` alone, `api` serves none.
 */
describe('workers of each queue, over every process', () => {
  let all: TestApp;
  let emailOnly: TestApp | undefined;
  let api: TestApp;

  beforeAll(async () => {
    all = await createTestApp({ suite: 'ops_workers', providers: [TestTasks] });
    emailOnly = await createTestApp({ suite: 'ops_workers', shareWith: all, providers: [TestTasks], tasks: { workerQueues: ['email'] } });
    api = await createTestApp({ suite: 'ops_workers', shareWith: all, providers: [TestTasks], role: 'api' });
  });
  afterAll(async () => {
    await api?.close();
    await emailOnly?.close();
    await all?.close();
  });

  it('counts one worker per process that serves a queue, with its address, in any process', async () => {
    const seen = await workersByQueue(api);
    expect(seen.get('test')).toMatchObject({ task_type: 'test', worker_count: 1 });
    expect(seen.get('email')).toMatchObject({ task_type: 'email', worker_count: 2 });
    // Declared, but no process has a handler for it.
    expect(seen.get('reports')).toMatchObject({ task_type: 'report', worker_count: 0, workers: [] });
    for (const worker of seen.get('email')!.workers!) {
      expect(worker.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(worker.connected_seconds).toBeGreaterThanOrEqual(0);
    }
    // Another process sees the same workers (their ages may have moved on by a second).
    const addresses = (queues: Map<string, QueueWorkersBody>) => [...queues.values()].map((queue) => [queue.queue, queue.workers!.map((worker) => worker.address).sort()]);
    expect(addresses(await workersByQueue(all))).toEqual(addresses(seen));
  });

  it('narrows to the queue of one task type, as TasksService.getWorkers does, and refuses an unknown type and other filters', async () => {
    expect([...(await workersByQueue(api, '?task_type=email')).keys()]).toEqual(['email']);
    const [email] = await api.tasks.getWorkers('email');
    expect(email).toMatchObject({ queue: 'email', taskType: 'email' });
    expect(email.workers).toHaveLength(2);
    // A type no queue carries and no task has is a typo, refused as the list refuses it (test/operations/retired-types.e2e-spec.ts).
    await expect(api.tasks.getWorkers('no_such_type')).rejects.toMatchObject({ reasons: [expect.stringContaining('task_type must be one of')] });
    const unknown = await api.http().get('/api/tasks/workers?queue=email').expect(400);
    expect(unknown.body.message).toEqual(['property queue should not exist']);
  });

  it('shows the workers in the stats and the metrics', async () => {
    const stats = await api.http().get('/api/tasks/stats').expect(200);
    const queues = new Map((stats.body.queues as Array<{ queue: string; workers: number }>).map((queue) => [queue.queue, queue.workers]));
    expect({ test: queues.get('test'), email: queues.get('email'), reports: queues.get('reports') }).toEqual({ test: 1, email: 2, reports: 0 });
    expect(await workersMetric(api, 'email')).toBe(2);
    expect(await workersMetric(api, 'reports')).toBe(0);
  });

  it('counts a process no longer once it has closed', async () => {
    await emailOnly!.close();
    emailOnly = undefined;
    await waitFor(async () => (await workersByQueue(api)).get('email')!.worker_count === 1, 'the closed worker to leave the count');
    expect(await workersMetric(api, 'email')).toBe(1);
    expect((await workersByQueue(api)).get('test')!.worker_count).toBe(1);
  });
});

/**
 * Some Redis deployments refuse `CLIENT LIST` (an ACL without it, managed services): the
 * workers are then unknown, which is not an error and not zero.
 */
describe('workers where Redis refuses to list its clients', () => {
  const user = `tasks-test-${uniqueSuiteId('nolist')}`;
  let admin: Redis;
  let t: TestApp;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
    await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all', '-client|list');
    const url = new URL(REDIS_URL);
    url.username = user;
    url.password = 'secret';
    t = await createTestApp({ suite: 'ops_nolist', providers: [TestTasks], redisUrl: url.toString() });
  });
  afterAll(async () => {
    await t?.close();
    await admin.call('ACL', 'DELUSER', user);
    admin.disconnect();
  });

  it('answers null workers (unknown) in the route, the service and the stats, and no metric sample', async () => {
    const queue = (await workersByQueue(t)).get('test');
    expect(queue).toEqual({ queue: 'test', task_type: 'test', worker_count: null, workers: null });
    expect((await t.tasks.getWorkers('test'))[0].workers).toBeNull();
    const stats = await t.http().get('/api/tasks/stats').expect(200);
    expect(stats.body.queues.find((entry: { queue: string }) => entry.queue === 'test').workers).toBeNull();
    expect(await workersMetric(t, 'test')).toBeUndefined();
    // The rest of the scrape still answers.
    expect((await t.http().get('/metrics').expect(200)).text).toContain('background_tasks_queue_jobs{queue="test",state="waiting"} 0');
  });
});
