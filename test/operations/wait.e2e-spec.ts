import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { BackgroundTask, TaskStatus, TaskNotFoundError, InvalidTaskRequestError, TaskWaitTimeoutError } from '../../src/tasks/index.js';
import { FindTasksQuery } from '../../src/tasks/commands/find-tasks.query.js';
import { TaskEventBus } from '../../src/tasks/events/task-event.bus.js';
import { createTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** The event bus's listeners in this process (SSE streams and waiters). */
const listenersOf = (app: TestApp) => {
  const bus = app.app.get(TaskEventBus) as unknown as { broad: Set<unknown>; byTask: Map<string, Set<unknown>> };
  return bus.broad.size + [...bus.byTask.values()].reduce((sum, listeners) => sum + listeners.size, 0);
};

describe('waiting for a task to finish (TasksService.waitForTask, GET /:task_id?wait_seconds)', () => {
  let api: TestApp;
  let worker: TestApp;
  let base: string;

  beforeAll(async () => {
    // The API process runs no worker: what it waits for is committed by the other process.
    api = await createTestApp({ suite: 'ops_wait', providers: [TestTasks], role: 'api' });
    worker = await createTestApp({ suite: 'ops_wait_w', providers: [TestTasks], role: 'worker', shareWith: api });
    await api.app.listen(0);
    base = `${await api.app.getUrl()}/api/tasks`.replace('[::1]', 'localhost');
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await api.queue('test').resume();
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('resolves with the final row committed in another process, told by its event: two reads of the row, no polling', async () => {
    const reads = jest.spyOn(api.app.get(FindTasksQuery), 'get');
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 300 } });
    const task = await api.tasks.waitForTask(taskId, { timeoutMs: 30_000 });
    expect(task).toMatchObject({ taskId, status: TaskStatus.Completed, result: { slept: 300 } });
    // The first read, then the one the final event asked for; a poll would be a third (after 5 s).
    expect(reads).toHaveBeenCalledTimes(2);
    expect(listenersOf(api)).toBe(0);
  });

  it('waits for a whole workflow through its own row, with the steps in the long poll\'s answer', async () => {
    const { workflowId } = await api.tasks.chain([{ taskName: 'test.record', params: { label: 'one' } }, { taskName: 'test.sleep', params: { ms: 100 } }]);
    expect(await api.tasks.waitForTask(workflowId, { timeoutMs: 30_000 })).toMatchObject({ taskId: workflowId, status: TaskStatus.Completed });
    const response = await api.http().get(`/api/tasks/${workflowId}?wait_seconds=5`).expect(200);
    expect(response.body.steps.map((step: { status: string }) => step.status)).toEqual(['completed', 'completed']);
  });

  it('answers at once for a final task, and resolves for a failed one too', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 0 });
    const failed = await api.tasks.waitForTask(taskId);
    expect(failed).toMatchObject({ status: TaskStatus.Failed, errorMessage: 'planned failure on attempt 1' });
    const reads = jest.spyOn(api.app.get(FindTasksQuery), 'get');
    expect((await api.tasks.waitForTask(taskId, { timeoutMs: 0 })).status).toBe(TaskStatus.Failed);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('gives up after timeoutMs with TaskWaitTimeoutError (504) naming the status, and the task goes on', async () => {
    await api.queue('test').pause();
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'late' } });
    const error = await api.tasks.waitForTask(taskId, { timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect(error).toMatchObject({ taskId, taskStatus: TaskStatus.Pending, timeoutMs: 300, message: `Task ${taskId} is still pending after 300 ms` });
    expect((error as TaskWaitTimeoutError).getStatus()).toBe(504);
    // getTaskStatus with a timeout waits the same way and answers the row as it is then.
    expect(await api.tasks.getTaskStatus(taskId, { timeoutMs: 300 })).toMatchObject({ taskId, status: TaskStatus.Pending });
    expect(listenersOf(api)).toBe(0);
    await api.queue('test').resume();
    expect((await api.tasks.waitForTask(taskId, { timeoutMs: 30_000 })).status).toBe(TaskStatus.Completed);
  });

  it('stops when its signal aborts, rejecting with the reason and leaving no listener behind', async () => {
    await api.queue('test').pause();
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'aborted' } });
    const controller = new AbortController();
    const waiting = api.tasks.waitForTask(taskId, { signal: controller.signal }).catch((caught: unknown) => caught);
    await waitFor(async () => listenersOf(api) === 1, 'the waiter to listen');
    controller.abort();
    expect(await waiting).toMatchObject({ name: 'AbortError' });
    expect(listenersOf(api)).toBe(0);
    const already = await api.tasks.waitForTask(taskId, { signal: AbortSignal.abort() }).catch((caught: unknown) => caught);
    expect(already).toMatchObject({ name: 'AbortError' });
  });

  it("hands each event to its own task's waiters only, and forgets a task once nobody waits for it", async () => {
    await api.queue('test').pause();
    const ids = await Promise.all(['a', 'b', 'c'].map(async (label) => (await api.tasks.enqueue({ taskName: 'test.record', params: { label } })).taskId));
    const controller = new AbortController();
    const waits = ids.map((id) => api.tasks.waitForTask(id, { signal: controller.signal }).catch((caught: unknown) => caught));
    await waitFor(async () => listenersOf(api) === 3, 'the three waiters to listen');
    const bus = api.app.get(TaskEventBus) as unknown as { deliver(subscriber: unknown, event: { task_id: string }): void; byTask: Map<string, unknown> };
    const delivered = jest.spyOn(bus, 'deliver');
    await api.tasks.cancelTask(ids[0]);
    expect(await waits[0]).toMatchObject({ taskId: ids[0], status: TaskStatus.Cancelled });
    // One event, one delivery: not one per waiter of every task. (A waiter's replay of the stream's
    // backlog, answered late on a loaded machine, may also hand it an earlier test's events.)
    expect(delivered.mock.calls.filter(([, event]) => event.task_id === ids[0])).toHaveLength(1);
    controller.abort();
    await Promise.all(waits);
    expect(bus.byTask.size).toBe(0);
  });

  it("goes on waiting when a user's retry reopened the task between its final event and the read", async () => {
    await api.queue('test').pause();
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'reopened' } });
    const finder = api.app.get(FindTasksQuery);
    const read = finder.get.bind(finder);
    let reads = 0;
    jest.spyOn(finder, 'get').mockImplementation(async (id: string) => {
      // The read that follows the cancel's event: a user retries first.
      if (++reads === 2) await api.tasks.retryTask(id);
      return read(id);
    });
    const waiting = api.tasks.waitForTask(taskId, { timeoutMs: 30_000 });
    await waitFor(async () => listenersOf(api) === 1, 'the waiter to listen');
    await api.tasks.cancelTask(taskId);
    await waitFor(async () => reads >= 2 && listenersOf(api) === 1, 'the waiter to listen again');
    await api.queue('test').resume();
    expect(await waiting).toMatchObject({ taskId, status: TaskStatus.Completed });
  });

  it('refuses an unknown task and a timeout that is not a whole number of ms in setTimeout\'s range', async () => {
    await expect(api.tasks.waitForTask('01a24998-0000-7000-8000-000000000000')).rejects.toBeInstanceOf(TaskNotFoundError);
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'x' } });
    for (const timeoutMs of [-1, 1.5, Number.NaN, 2 ** 31]) {
      const error = await api.tasks.waitForTask(taskId, { timeoutMs }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidTaskRequestError);
      expect((error as InvalidTaskRequestError).reasons).toEqual(['timeoutMs must be an integer from 0 to 2147483647 (or left out: no limit)']);
    }
  });

  it('finds an outcome whose event never came (Redis refused it) by reading the row every 5 s', async () => {
    await api.queue('test').pause();
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'unpublished' } });
    const waiting = api.tasks.waitForTask(taskId, { timeoutMs: 30_000 });
    await waitFor(async () => listenersOf(api) === 1, 'the waiter to listen');
    // The cancel commits in this process; its event is refused, as by a Redis that went away.
    const publisher = (api.app.get(TaskEventBus) as unknown as { publisher: { appendTaskEvents(...args: unknown[]): Promise<number> } }).publisher;
    const refused = jest.spyOn(publisher, 'appendTaskEvents').mockRejectedValue(new Error('Connection is closed.'));
    await api.tasks.cancelTask(taskId);
    expect(refused).toHaveBeenCalled();
    expect(await waiting).toMatchObject({ taskId, status: TaskStatus.Cancelled });
  });

  it('reads the rows of many waiters together: one query every 5 s for 120 of them, where each read its own', async () => {
    await api.queue('test').pause();
    const outcomes = await api.tasks.enqueueMany(Array.from({ length: 120 }, (_, i) => ({ taskName: 'test.record', params: { label: `together-${i}` } })));
    const ids = outcomes.map((outcome) => outcome.task!.taskId);
    const waits = ids.map((taskId) => api.tasks.waitForTask(taskId, { timeoutMs: 60_000 }));
    await waitFor(async () => listenersOf(api) === 120, 'every waiter to listen');
    const together = jest.spyOn(api.dataSource.getRepository(BackgroundTask), 'findBy');
    const alone = jest.spyOn(api.app.get(FindTasksQuery), 'get');
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    // One tick or two fell in those 5.5 s: one query each for all 120 rows, none per waiter.
    expect(together.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(together.mock.calls.length).toBeLessThanOrEqual(2);
    expect(alone).not.toHaveBeenCalled();
    // Finished behind the live stream's back (no event): the shared reads find every outcome.
    await api.dataSource.query(`UPDATE background_tasks SET status = 'cancelled', completed_at = NOW(3) WHERE task_id IN (?)`, [ids]);
    expect((await Promise.all(waits)).map((task) => task.status)).toEqual(ids.map(() => TaskStatus.Cancelled));
    expect(listenersOf(api)).toBe(0);
  });

  it('ends with TaskNotFoundError when the row is deleted while it waits (no limit given)', async () => {
    await api.queue('test').pause();
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'deleted' } });
    const waiting = api.tasks.waitForTask(taskId).catch((caught: unknown) => caught);
    await waitFor(async () => listenersOf(api) === 1, 'the waiter to listen');
    await api.dataSource.query('DELETE FROM background_tasks WHERE task_id = ?', [taskId]);
    expect(await waiting).toBeInstanceOf(TaskNotFoundError);
    expect(listenersOf(api)).toBe(0);
    await api.queue('test').remove(taskId);
  });

  it('waits on the reads alone when Redis has no stream position to give', async () => {
    jest.spyOn(api.app.get(TaskEventBus), 'latestId').mockRejectedValue(new Error('Connection is closed.'));
    const subscribe = jest.spyOn(api.app.get(TaskEventBus), 'subscribe');
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 200 } });
    expect(await api.tasks.waitForTask(taskId, { timeoutMs: 30_000 })).toMatchObject({ status: TaskStatus.Completed });
    expect(subscribe).not.toHaveBeenCalled();
  });

  describe('GET /:task_id?wait_seconds (long polling)', () => {
    it('answers once the task is final', async () => {
      const { taskId } = await api.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 300 } });
      const response = await api.http().get(`/api/tasks/${taskId}?wait_seconds=30`).expect(200);
      expect(response.body).toMatchObject({ task_id: taskId, status: 'completed', result: { slept: 300 } });
    });

    it('answers 200 with the state it has when the wait runs out', async () => {
      await api.queue('test').pause();
      const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'still' } });
      const response = await api.http().get(`/api/tasks/${taskId}?wait_seconds=1`).expect(200);
      expect(response.body).toMatchObject({ task_id: taskId, status: 'pending' });
      expect(listenersOf(api)).toBe(0);
    });

    it('refuses a wait that is not 0 to 60 whole seconds, and other query parameters', async () => {
      const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'q' } });
      for (const value of ['61', '-1', 'abc', '1.5', '', '1e1', '0x10']) {
        const response = await api.http().get(`/api/tasks/${taskId}`).query({ wait_seconds: value }).expect(400);
        expect(response.body.message).toEqual(['wait_seconds must be a whole number of seconds from 0 to 60']);
      }
      expect((await api.http().get(`/api/tasks/${taskId}?wait=5`).expect(400)).body.message).toEqual(['property wait should not exist']);
      await api.http().get(`/api/tasks/${taskId}?wait_seconds=0`).expect(200);
      await api.http().get(`/api/tasks/01a24998-0000-7000-8000-000000000000?wait_seconds=5`).expect(404);
    });

    it('stops waiting as soon as the client goes away', async () => {
      await api.queue('test').pause();
      const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: { label: 'left' } });
      const client = httpRequest(`${base}/${taskId}?wait_seconds=60`);
      client.on('error', () => undefined);
      client.end();
      await waitFor(async () => listenersOf(api) === 1, 'the long poll to listen');
      client.destroy();
      await waitFor(async () => listenersOf(api) === 0, 'the long poll to stop listening');
    });
  });
});
