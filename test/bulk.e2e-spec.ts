import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { InvalidTaskRequestError, TaskStatus } from '../src/tasks/index.js';
import { TaskQueues } from '../src/tasks/queue/task-queues.js';
import { OneTripTransactions } from '../src/tasks/store/one-trip-transactions.js';
import type { TaskJobData } from '../src/tasks/queue/task-job.js';
import { createTestApp, waitForFinalRow, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

describe('bulk enqueue (MariaDB + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'bulk', providers: [TestTasks] });
  });
  afterAll(() => t.close());

  const rowCount = async () => Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM background_tasks'))[0].n);

  it('enqueues the valid items and reports each refused one, in order', async () => {
    const before = await rowCount();
    const { body } = await t.http()
      .post('/api/tasks/enqueue/bulk')
      .send({
        tasks: [
          { task_name: 'test.record', params: { label: 'first' }, priority: 9 },
          { task_name: 'nope.nothing' },
          { task_name: 'test.record', priority: 11 },
          5,
          { task_name: 'test.record', params: { label: 'last' } },
        ],
      })
      .expect(200);
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(3);
    expect(body.results.map((result: { index: number }) => result.index)).toEqual([0, 1, 2, 3, 4]);
    expect(body.results[0]).toEqual({ index: 0, task_id: expect.any(String), message: 'Task enqueued successfully with priority 9', created: true });
    expect(body.results[1].error).toEqual({ statusCode: 400, error: 'Bad Request', message: ['task_name "nope.nothing" is not registered by any @TaskHandler'] });
    expect(body.results[2].error.message).toEqual(['priority must be an integer from 1 to 10']);
    expect(body.results[3].error.message).toEqual(['each task must be a JSON object']);
    expect(await rowCount()).toBe(before + 2);
    for (const index of [0, 4]) {
      expect((await waitForFinalRow(t.tasks, body.results[index].task_id)).status).toBe(TaskStatus.Completed);
    }
  });

  it('keeps out alone a task whose job Redis refuses: 503 for it, its row deleted, the others enqueued', async () => {
    // Fault injection on the module's own queue handle: Redis refuses the job of the task
    // labelled 'refused'; every other job reaches the real Redis.
    const queue = t.app.get(TaskQueues).get('test');
    const add = queue.add.bind(queue);
    const refusing = jest.spyOn(queue, 'add').mockImplementation((name, data, opts) =>
      (data as TaskJobData).params?.label === 'refused' ? Promise.reject(new Error("READONLY You can't write against a read only replica.")) : add(name, data, opts),
    );
    try {
      const before = await rowCount();
      const outcomes = await t.tasks.enqueueMany(['first', 'refused', 'last'].map((label) => ({ taskName: 'test.record', params: { label } })));
      expect(outcomes[1]).toEqual({ error: { statusCode: 503, message: ['Redis is unavailable, try again later'] } });
      expect(await rowCount()).toBe(before + 2);
      for (const index of [0, 2]) expect((await waitForFinalRow(t.tasks, outcomes[index].task!.taskId)).status).toBe(TaskStatus.Completed);
    } finally {
      refusing.mockRestore();
    }
  });

  it('keeps out alone a task whose job Redis refuses from a batch sent as one pipeline; its batch-mates are added once', async () => {
    // 400 tasks go out as four batches of 100, each sent as one addBulk pipeline. Fault injection
    // on the module's own queue handle: a pipeline adds its jobs but the one of the task labelled
    // 'refused', then reports the refusal, as BullMQ's addBulk does; a lone add of that job is
    // refused too.
    const queue = t.app.get(TaskQueues).get('test');
    const [addBulk, add] = [queue.addBulk.bind(queue), queue.add.bind(queue)];
    const isRefused = (data: unknown) => (data as TaskJobData).params?.label === 'refused';
    const refusal = () => new Error("READONLY You can't write against a read only replica.");
    const pipelines = jest.spyOn(queue, 'addBulk').mockImplementation(async (jobs) => {
      const added = await addBulk(jobs.filter((job) => !isRefused(job.data)));
      if (added.length < jobs.length) throw refusal();
      return added;
    });
    const lone = jest.spyOn(queue, 'add').mockImplementation((name, data, opts) => (isRefused(data) ? Promise.reject(refusal()) : add(name, data, opts)));
    await t.queue('test').pause();
    try {
      const before = await rowCount();
      const inputs = Array.from({ length: 400 }, (_, i) => ({ taskName: 'test.record', params: { label: i === 250 ? 'refused' : `item ${i}` } }));
      const outcomes = await t.tasks.enqueueMany(inputs);
      expect(outcomes[250]).toEqual({ error: { statusCode: 503, message: ['Redis is unavailable, try again later'] } });
      expect(outcomes.filter((outcome) => outcome.task).length).toBe(399);
      expect(await rowCount()).toBe(before + 399);
      expect(await t.queue('test').getJobCountByTypes('prioritized', 'wait')).toBe(399);
      // Four pipelines; only the refused one's batch was added again job by job.
      expect(pipelines).toHaveBeenCalledTimes(4);
      expect(lone).toHaveBeenCalledTimes(100);
    } finally {
      pipelines.mockRestore();
      lone.mockRestore();
      await t.queue('test').obliterate({ force: true });
    }
  });

  it('answers 400 for an empty list, more than 1000 tasks or no list, each with its one problem, and creates nothing', async () => {
    const before = await rowCount();
    const empty = await t.http().post('/api/tasks/enqueue/bulk').send({ tasks: [] }).expect(400);
    expect(empty.body.message).toEqual(['tasks must contain at least 1 task']);
    const tooMany = Array.from({ length: 1001 }, () => ({ task_name: 'test.record' }));
    const over = await t.http().post('/api/tasks/enqueue/bulk').send({ tasks: tooMany }).expect(400);
    expect(over.body.message).toEqual(['tasks must contain no more than 1000 elements']);
    // No list, or none at all: told that alone, not also the list's sizes.
    expect((await t.http().post('/api/tasks/enqueue/bulk').send({ tasks: 'x' }).expect(400)).body.message).toEqual(['tasks must be an array']);
    expect((await t.http().post('/api/tasks/enqueue/bulk').send({}).expect(400)).body.message).toEqual(['tasks must be an array']);
    await expect(t.tasks.enqueueMany(tooMany.map(() => ({ taskName: 'test.record' })))).rejects.toBeInstanceOf(InvalidTaskRequestError);
    expect(await rowCount()).toBe(before);
  });

  it('writes at most two large INSERTs of bulk calls at once, and every task of them is enqueued', async () => {
    // Two calls of 1,000 at once: eight batches of 250. Counts how many of their INSERTs MySQL
    // has at any moment (more than two overlapping spin on InnoDB's latches: see LARGE_INSERT_FROM).
    const oneTrip = t.app.get(OneTripTransactions);
    const run = oneTrip.run.bind(oneTrip);
    let inFlight = 0;
    let mostInFlight = 0;
    let largeInserts = 0;
    const counting = jest.spyOn(oneTrip, 'run').mockImplementation(async (statements) => {
      const [sql, values] = statements[0];
      const rows = /^INSERT INTO background_tasks\b/.test(sql) ? ((values as unknown[][])[0]?.length ?? 0) : 0;
      if (rows < 100) return run(statements);
      largeInserts++;
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        return await run(statements);
      } finally {
        inFlight--;
      }
    });
    await t.queue('test').pause();
    try {
      const calls = [0, 1].map(() => t.tasks.enqueueMany(Array.from({ length: 1000 }, () => ({ taskName: 'test.record' }))));
      const outcomes = (await Promise.all(calls)).flat();
      expect(outcomes.filter((outcome) => outcome.task).length).toBe(2000);
      expect(largeInserts).toBe(8);
      expect(mostInFlight).toBe(2);
      expect(await t.queue('test').getJobCountByTypes('prioritized', 'wait')).toBe(2000);
    } finally {
      counting.mockRestore();
      await t.queue('test').obliterate({ force: true });
    }
  });

  it('enqueues 1000 tasks through the service, each with its own id', async () => {
    await t.queue('test').pause();
    try {
      const outcomes = await t.tasks.enqueueMany(Array.from({ length: 1000 }, (_, i) => ({ taskName: 'test.record', params: { i } })));
      const ids = outcomes.map((outcome) => outcome.task?.taskId);
      expect(new Set(ids).size).toBe(1000);
      expect(await t.queue('test').getJobCountByTypes('prioritized', 'wait')).toBe(1000);
    } finally {
      await t.queue('test').obliterate({ force: true });
    }
  });
});
