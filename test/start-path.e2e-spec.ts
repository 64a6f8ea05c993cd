import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { isFinalStatus, TaskNotCancellableError, TaskStatus } from '../src/tasks/index.js';
import { CancelMarks } from '../src/tasks/queue/cancel-marks.js';
import { TaskStateWriter } from '../src/tasks/store/task-state.writer.js';
import { FIXTURE_QUEUES } from './support/order-tasks.processor.js';
import { createTestApp, REDIS_URL, TEST_QUEUE, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/** The module's default: a handler shows `running` once it has run this long. */
const RUNNING_WRITE_DELAY_MS = 100;
/** Slack for two clocks read a few statements apart (the database's and this process's). */
const CLOCK_SLACK_MS = 25;

/**
 * The start path: a handler starts before its row says `running`; a short one costs one row
 * write (start and outcome together), a long one shows `running` after RUNNING_WRITE_DELAY_MS.
 * Every committed row write is one entry of the live-event stream, which is how these tests count them.
 */
describe('start path: one write per short task, cancel racing the start (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;
  let redis: Redis;

  beforeAll(async () => {
    t = await createTestApp({
      suite: 'startpath',
      providers: [TestTasks],
      tasks: { queues: [...FIXTURE_QUEUES.filter((queue) => queue !== TEST_QUEUE), { ...TEST_QUEUE, concurrency: 8 }], cancelWaitMs: 1000 },
    });
    fixtures = t.app.get(TestTasks);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await t.close();
  });

  /** The statuses each committed write of the task's row left, in order. */
  const writtenStatuses = async (taskId: string): Promise<string[]> => {
    const entries = await redis.xrange(`${t.queuePrefix}:tasks:events`, '-', '+');
    return entries.flatMap(([, fields]) => {
      const value = Object.fromEntries(fields.flatMap((field, index) => (index % 2 === 0 ? [[field, fields[index + 1]]] : [])));
      return value.task_id === taskId && value.kind === 'status' ? [value.status] : [];
    });
  };
  /** The statuses written, once the final one is in the stream (events follow their commit). */
  const finalStatuses = (taskId: string): Promise<string[]> =>
    waitFor(async () => {
      const statuses = await writtenStatuses(taskId);
      return statuses.some((status) => isFinalStatus(status as TaskStatus)) && statuses;
    }, `the final status event of ${taskId}`);

  it('writes a task whose handler finishes sooner than runningWriteDelayMs once: pending straight to completed, with its real start', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, index) => t.tasks.enqueue({ taskName: 'test.record', params: { label: `quick ${index}` } })));
    for (const { taskId } of ids) {
      const row = await waitForFinalRow(t.tasks, taskId);
      expect(row.status).toBe(TaskStatus.Completed);
      expect(await finalStatuses(taskId)).toEqual([TaskStatus.Completed]);
      const [call] = fixtures.callsOf(taskId);
      expect(Math.abs(row.startedAt!.getTime() - call.at)).toBeLessThanOrEqual(CLOCK_SLACK_MS);
      expect(row.createdAt.getTime()).toBeLessThanOrEqual(row.startedAt!.getTime());
      expect(row.startedAt!.getTime()).toBeLessThanOrEqual(row.completedAt!.getTime());
      expect(row.result).toEqual({ label: call.params.label });
    }
  });

  it("tells the writer that a quick task's first attempt finds its row as enqueued (its completion then skips the locking read), and not a retry's", async () => {
    const complete = jest.spyOn(t.app.get(TaskStateWriter), 'complete');
    try {
      const quick = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'fresh' } });
      const retried = await t.tasks.enqueue({ taskName: 'test.flaky', params: { fail_times: 1 } });
      for (const { taskId } of [quick, retried]) expect((await waitForFinalRow(t.tasks, taskId)).status).toBe(TaskStatus.Completed);
      const freshOf = (taskId: string) => complete.mock.calls.filter(([id]) => id === taskId).map((call) => call[3]);
      expect(freshOf(quick.taskId)).toEqual([{ taskType: 'test', taskName: 'test.record' }]);
      // Its second attempt follows a failure: the row holds that failure's class until it completes.
      expect(freshOf(retried.taskId)).toEqual([undefined]);
    } finally {
      complete.mockRestore();
    }
  });

  it('keeps a quick handler that reports progress at one write (its reports are dropped with the attempt)', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.chatty_progress', params: { reports: 5, ms: 0 } });
    expect((await waitForFinalRow(t.tasks, taskId)).progress).toBe(100);
    expect(await finalStatuses(taskId)).toEqual([TaskStatus.Completed]);
  });

  it('shows a longer handler as running once it has run runningWriteDelayMs, started_at back-dated to its real start', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.steps', params: { ms: 800 } });
    const running = await waitFor(async () => {
      const row = await t.tasks.getTaskStatus(taskId);
      return row.status === TaskStatus.Running && row;
    }, 'the row to say running');
    const seenAt = Date.now();
    const [call] = fixtures.callsOf(taskId);
    expect(seenAt - call.at).toBeGreaterThanOrEqual(RUNNING_WRITE_DELAY_MS - CLOCK_SLACK_MS);
    expect(Math.abs(running.startedAt!.getTime() - call.at)).toBeLessThanOrEqual(CLOCK_SLACK_MS);
    // Its progress shows while it runs.
    await waitFor(async () => ((await t.tasks.getTaskStatus(taskId)).progress ?? 0) > 0, 'progress to show');
    expect((await waitForFinalRow(t.tasks, taskId)).status).toBe(TaskStatus.Completed);
    const statuses = await finalStatuses(taskId);
    expect(statuses.filter((status) => status !== TaskStatus.Running)).toEqual([TaskStatus.Completed]);
    expect(statuses[0]).toBe(TaskStatus.Running);
  });

  it("never starts the handler of a job that reaches a worker after its task's cancel returned (a job added late, as by an enqueue or a repair that raced the cancel)", async () => {
    const queue = t.queue('test');
    await queue.pause();
    const [enqueued, repaired] = await Promise.all(['added late by its enqueue', 'added late by a repair'].map((label) => t.tasks.enqueue({ taskName: 'test.record', params: { label } })));
    const jobs = await Promise.all([enqueued, repaired].map(async ({ taskId }) => (await queue.getJob(taskId))!));
    expect(jobs.map((job) => job.deduplicationId)).toEqual([enqueued.taskId, repaired.taskId]);
    for (const job of jobs) await job.remove();
    for (const { taskId } of [enqueued, repaired]) {
      // Nothing in Redis to stop: the cancel returns at once.
      expect(await t.tasks.cancelTask(taskId)).toEqual({ taskId, runningHandlerSignalled: false, handlerStopped: true });
    }
    // The enqueue's add comes with the task id as deduplication id, as TaskJobs sends it: the
    // cancel's key keeps it out. A repair's add (no deduplication id) goes in; its worker asks
    // the cancel marks before it starts anything, and writes `running` first, which the row refuses.
    await queue.add(jobs[0].name, jobs[0].data, { jobId: enqueued.taskId, deduplication: { id: enqueued.taskId } });
    await queue.add(jobs[1].name, jobs[1].data, { jobId: repaired.taskId });
    expect(await queue.getJob(enqueued.taskId)).toBeUndefined();
    const marker = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'after them' } });
    await queue.resume();
    expect((await waitForFinalRow(t.tasks, marker.taskId)).status).toBe(TaskStatus.Completed);
    await waitFor(async () => (await queue.getJobState(repaired.taskId)) === 'completed', 'the repaired job to be done');
    for (const { taskId } of [enqueued, repaired]) {
      expect(fixtures.callsOf(taskId)).toEqual([]);
      expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
    }
  });

  it("never starts a retry's handler after its cancel returned, though the cancel left the retry's job waiting (it found the failed attempt still holding it)", async () => {
    const queue = t.queue('test');
    // Its first attempt fails; the retry waits a minute, until promoted below.
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.fails_then_waits', maxRetries: 1 });
    await waitFor(async () => (await queue.getJobState(taskId)) === 'delayed' && (await t.tasks.getTaskStatus(taskId)).status === TaskStatus.Pending, 'the retry to be scheduled');
    // A cancel's steps up to its job's removal, which refused the job while the failed attempt
    // still held it and then found it no longer active: marks set, row cancelled, job left waiting.
    const task = await t.tasks.getTaskStatus(taskId);
    await t.app.get(CancelMarks).mark({ taskId, taskType: task.taskType });
    expect(await t.app.get(TaskStateWriter).cancel(taskId)).toBe(true);
    const cancelReturnedAt = performance.now();
    await (await queue.getJob(taskId))!.promote();
    await waitFor(async () => ['completed', 'failed'].includes(await queue.getJobState(taskId)), 'the retry job to be done');
    expect(fixtures.callsOf(taskId).map((call) => call.tick < cancelReturnedAt)).toEqual([true]);
    expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
  });

  it('never starts a handler after its cancel returned, over hundreds of cancels racing the start of short tasks (invariant 4)', async () => {
    type Round = { taskId: string; cancelReturnedAt?: number };
    const rounds: Round[] = [];
    const kinds = () => {
      const cancelled = rounds.filter((round) => round.cancelReturnedAt !== undefined);
      return {
        cancelledBeforeItsHandler: cancelled.filter((round) => fixtures.callsOf(round.taskId).length === 0).length,
        cancelledAfterItsHandlerStarted: cancelled.filter((round) => fixtures.callsOf(round.taskId).length > 0).length,
        finishedFirst: rounds.length - cancelled.length,
      };
    };
    while (rounds.length < 1000 && (rounds.length < 300 || Object.values(kinds()).some((count) => count < 5))) {
      // Up to 15 tasks queued ahead of it vary when a worker takes it.
      const ahead = Math.floor(Math.random() * 16);
      if (ahead > 0) await t.tasks.enqueueMany(Array.from({ length: ahead }, () => ({ taskName: 'test.record', params: { label: 'ahead' } })));
      const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: { label: `round ${rounds.length}` } });
      // Cancel at once, a turn of the event loop later, or a millisecond or two later: the
      // worker takes the job within about that long.
      const draw = Math.random();
      if (draw >= 0.75) await sleep(Math.floor(Math.random() * 3));
      else if (draw >= 0.5) await new Promise((resolve) => setImmediate(resolve));
      const round: Round = { taskId };
      try {
        await t.tasks.cancelTask(taskId);
        round.cancelReturnedAt = performance.now();
      } catch (error) {
        if (!(error instanceof TaskNotCancellableError)) throw error;
      }
      rounds.push(round);
    }
    await waitFor(async () => (await t.queue('test').getJobCounts('active', 'waiting', 'prioritized')).active === 0, 'the queue to settle');
    for (const round of rounds) {
      const row = await t.tasks.getTaskStatus(round.taskId);
      const calls = fixtures.callsOf(round.taskId);
      if (round.cancelReturnedAt === undefined) {
        expect({ status: row.status, calls: calls.length }).toEqual({ status: TaskStatus.Completed, calls: 1 });
        continue;
      }
      expect({ status: row.status, result: row.result }).toEqual({ status: TaskStatus.Cancelled, result: null });
      for (const call of calls) expect(call.tick).toBeLessThan(round.cancelReturnedAt);
    }
    const seen = kinds();
    console.log(`start race: ${rounds.length} rounds, ${JSON.stringify(seen)}`);
    // Every way the race can go happened, so the assertions above covered each.
    expect(Math.min(...Object.values(seen))).toBeGreaterThanOrEqual(1);
  });
});
