import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskHandler, TaskProcessor, TaskStatus, type TaskContext, type TaskQueueOptions } from '../../src/tasks/index.js';
import { FIXTURE_QUEUES } from '../support/order-tasks.processor.js';
import { createTestApp, waitFor, type TestApp } from '../support/test-app.js';

/** Handler starts and concurrency, seen across both apps of the suite (one Node process). */
const starts: number[] = [];
let runningNow = 0;
let mostAtOnce = 0;

@TaskProcessor('limited')
class LimitedTasks {
  @TaskHandler('limited.tick')
  tick(_params: unknown, _context: TaskContext) {
    starts.push(Date.now());
    return null;
  }
}

@TaskProcessor('capped')
class CappedTasks {
  @TaskHandler('capped.work')
  async work(_params: unknown, _context: TaskContext) {
    runningNow++;
    mostAtOnce = Math.max(mostAtOnce, runningNow);
    await sleep(150);
    runningNow--;
    return null;
  }
}

const QUEUES: TaskQueueOptions[] = [
  ...FIXTURE_QUEUES,
  { name: 'limited', taskType: 'limited', defaultPriority: 5, concurrency: 5, rateLimit: { max: 3, durationMs: 1000 } },
  { name: 'capped', taskType: 'capped', defaultPriority: 5, concurrency: 5, globalConcurrency: 2 },
];

describe('rate limits and concurrency per queue, over two worker applications (own connections, one Node process; MariaDB + Redis)', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    const options = { suite: 'ratelimit', providers: [LimitedTasks, CappedTasks], tasks: { queues: QUEUES } };
    first = await createTestApp(options);
    second = await createTestApp({ ...options, shareWith: first, role: 'worker' });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  const allCompleted = (taskType: string, n: number) =>
    waitFor(async () => (await first.tasks.getTaskCount({ taskType, status: TaskStatus.Completed })) === n, `${n} ${taskType} tasks`);

  it('starts at most `max` tasks per window: 9 tasks at 3 per second span at least two windows', async () => {
    const outcomes = await first.tasks.enqueueMany(Array.from({ length: 9 }, () => ({ taskName: 'limited.tick' })));
    await allCompleted('limited', 9);
    expect(starts).toHaveLength(9);
    // When each job became active (BullMQ's processedOn, the moment the limiter let it through;
    // the handler's own start comes after a MySQL write of varying length).
    const jobs = await Promise.all(outcomes.map((outcome) => first.queue('limited').getJob(outcome.task!.taskId)));
    const activated = jobs.map((job) => job!.processedOn!).sort((a, b) => a - b);
    // Unlimited, 10 slots over two workers would take all nine within a few ms. The limiter
    // counts in Redis' clock and the timestamps are the workers' (same host): 10 ms of slack.
    expect(activated[3] - activated[0]).toBeGreaterThanOrEqual(990);
    expect(activated[6] - activated[0]).toBeGreaterThanOrEqual(1990);
  });

  it('runs at most globalConcurrency tasks at once over all worker applications', async () => {
    await first.tasks.enqueueMany(Array.from({ length: 12 }, () => ({ taskName: 'capped.work' })));
    await allCompleted('capped', 12);
    expect(mostAtOnce).toBe(2);
  });
});
