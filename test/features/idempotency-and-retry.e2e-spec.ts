import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackgroundTask, TaskStatus } from '../../src/tasks/index.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

describe('idempotency keys, the retry route and typed params (MariaDB + Redis)', () => {
  let t: TestApp;
  let other: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'idempotency', providers: [TestTasks] });
    other = await createTestApp({ suite: 'idempotency', providers: [TestTasks], shareWith: t, role: 'api' });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const rowsWithKey = (key: string) => t.dataSource.getRepository(BackgroundTask).countBy({ idempotencyKey: key });

  it('returns the existing task (200, same task_id) for a key used before, also after it finished', async () => {
    const body = { task_name: 'test.record', idempotency_key: 'order-1' };
    const first = await t.http().post('/api/tasks/enqueue').send(body).expect(201);
    expect(first.body).toMatchObject({ created: true });
    const second = await t.http().post('/api/tasks/enqueue').send(body).expect(200);
    expect(second.body).toMatchObject({ task_id: first.body.task_id, created: false });
    await waitForFinalRow(t.tasks, first.body.task_id);
    const third = await t.http().post('/api/tasks/enqueue').send({ ...body, params: { other: true } }).expect(200);
    expect(third.body.task_id).toBe(first.body.task_id);
    expect(await rowsWithKey('order-1')).toBe(1);
    expect(fixtures.callsOf(first.body.task_id)).toHaveLength(1);
  });

  it('takes a key of 255 characters beyond the BMP (510 UTF-16 units), as its column counts them, and refuses 256', async () => {
    // U+1F600: one character to MySQL's VARCHAR(255), two units to JavaScript's `length`.
    const key = '\u{1F600}'.repeat(255);
    const first = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', idempotency_key: key }).expect(201);
    const again = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', idempotency_key: key }).expect(200);
    expect(again.body).toMatchObject({ task_id: first.body.task_id, created: false });
    expect((await t.tasks.getTaskStatus(first.body.task_id)).idempotencyKey).toBe(key);
    const over = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', idempotency_key: `${key}\u{1F600}` }).expect(400);
    expect(over.body.message).toEqual(['idempotency_key must be a string of 1 to 255 characters']);
  });

  it('makes one task of concurrent enqueues with one key from two applications (own connections, one Node process)', async () => {
    const enqueue = (app: TestApp) => app.tasks.enqueue({ taskName: 'test.record', idempotencyKey: 'race-1' });
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => enqueue(i % 2 ? other : t)));
    expect(new Set(outcomes.map((outcome) => outcome.taskId)).size).toBe(1);
    expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
    expect(await rowsWithKey('race-1')).toBe(1);
    await waitForFinalRow(t.tasks, outcomes[0].taskId);
    expect(fixtures.callsOf(outcomes[0].taskId)).toHaveLength(1);
  });

  it('holds after Redis forgot the job: the unique index in MySQL decides', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', idempotencyKey: 'outlives-redis' });
    await waitForFinalRow(t.tasks, taskId);
    await t.queue('test').clean(0, 1000, 'completed');
    expect(await t.queue('test').getJobState(taskId)).toBe('unknown');
    const again = await t.tasks.enqueue({ taskName: 'test.record', idempotencyKey: 'outlives-redis' });
    expect(again).toMatchObject({ taskId, created: false });
  });

  it('reports created false for bulk items whose key names an existing task', async () => {
    const { body } = await t.http().post('/api/tasks/enqueue/bulk').send({
      tasks: [{ task_name: 'test.record', idempotency_key: 'order-1' }, { task_name: 'test.record', idempotency_key: 'bulk-new' }],
    }).expect(200);
    expect(body.results[0]).toMatchObject({ created: false, message: 'Task already exists for this idempotency_key' });
    expect(body.results[1]).toMatchObject({ created: true });
    expect(await rowsWithKey('bulk-new')).toBe(1);
  });

  it('retries a failed task: pending again with a new round of attempts, same task_id', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.always_fail', maxRetries: 1 });
    const failed = await waitForFinalRow(t.tasks, taskId);
    expect(failed).toMatchObject({ status: TaskStatus.Failed, retryCount: 1 });
    const { body } = await t.http().post(`/api/tasks/${taskId}/retry`).expect(200);
    expect(body).toEqual({ task_id: taskId, success: true, message: 'Task queued again for a new round of attempts' });
    const reopened = await t.tasks.getTaskStatus(taskId);
    expect([TaskStatus.Pending, TaskStatus.Running]).toContain(reopened.status);
    expect(reopened.completedAt).toBeNull();
    expect(reopened.createdAt).toEqual(failed.createdAt);
    await waitFor(() => fixtures.callsOf(taskId).length === 4, 'two more attempts');
    const again = await waitForFinalRow(t.tasks, taskId);
    expect(again).toMatchObject({ status: TaskStatus.Failed, retryCount: 1, errorMessage: 'planned failure on attempt 2' });
    expect(fixtures.callsOf(taskId).map((call) => call.attempt)).toEqual([1, 2, 1, 2]);
  });

  it('retries a cancelled task, which then completes and drops the old error', async () => {
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'late' }, delaySeconds: 600 });
    await t.tasks.cancelTask(taskId);
    await t.http().post(`/api/tasks/${taskId}/retry`).expect(200);
    const done = await waitForFinalRow(t.tasks, taskId);
    expect(done).toMatchObject({ status: TaskStatus.Completed, result: { label: 'late' }, errorMessage: null, runAt: null });
  });

  it('retries a task the moment its row reads failed, while BullMQ is still finishing the job', async () => {
    // The row is written first, then the worker hands the failure to BullMQ: for a few
    // milliseconds the job is still active although its handler has returned.
    for (let round = 0; round < 20; round++) {
      const { taskId } = await t.tasks.enqueue({ taskName: 'test.throws', params: { kind: 'non_retryable' } });
      await waitFor(async () => (await t.tasks.getTaskStatus(taskId)).status === TaskStatus.Failed, 'the row to read failed', 20_000, 1);
      await expect(t.tasks.retryTask(taskId)).resolves.toMatchObject({ taskId });
      await waitFor(() => fixtures.callsOf(taskId).length === 2, 'the retried attempt');
      await waitForFinalRow(t.tasks, taskId);
    }
  });

  it('answers 409 while the handler of a cancelled task ignores its signal and still runs', async () => {
    // Its 6 s outlast the cancel and the retry's 2 s wait for the job to leave active.
    const { taskId } = await t.tasks.enqueue({ taskName: 'test.ignores_abort', params: { ms: 6000 } });
    await waitFor(async () => (await t.tasks.getTaskStatus(taskId)).status === TaskStatus.Running, 'running');
    await t.tasks.cancelTask(taskId);
    const conflict = await t.http().post(`/api/tasks/${taskId}/retry`).expect(409);
    expect(conflict.body).toEqual({ task_id: taskId, success: false, message: 'The last attempt of this task is still running; retry once it has stopped' });
    expect(fixtures.finished.has(taskId)).toBe(false);
    // Once the handler has returned, the same retry goes through.
    await waitFor(() => fixtures.finished.has(taskId), 'the handler to return', 20_000);
    await waitFor(async () => (await t.queue('test').getJobState(taskId)) !== 'active', 'the job to leave active');
    await t.http().post(`/api/tasks/${taskId}/retry`).expect(200);
    await waitForFinalRow(t.tasks, taskId);
  });

  it('answers 409 for a pending, running or completed task and 404 for an unknown one', async () => {
    const pending = await t.tasks.enqueue({ taskName: 'test.record', delaySeconds: 600 });
    const conflict = await t.http().post(`/api/tasks/${pending.taskId}/retry`).expect(409);
    expect(conflict.body).toEqual({ task_id: pending.taskId, success: false, message: 'Task is pending; only failed or cancelled tasks can be retried' });
    await t.tasks.cancelTask(pending.taskId);

    const running = await t.tasks.enqueue({ taskName: 'test.until_aborted' });
    await waitFor(async () => (await t.tasks.getTaskStatus(running.taskId)).status === TaskStatus.Running, 'running');
    await t.http().post(`/api/tasks/${running.taskId}/retry`).expect(409);
    await t.tasks.cancelTask(running.taskId);

    const completed = await t.tasks.enqueue({ taskName: 'test.record' });
    await waitForFinalRow(t.tasks, completed.taskId);
    await t.http().post(`/api/tasks/${completed.taskId}/retry`).expect(409);
    await t.http().post('/api/tasks/00000000-0000-4000-8000-000000000000/retry').expect(404);
  });

  it("validates params against the handler's DTO: 400 naming each problem, nothing created", async () => {
    const before = await t.tasks.getTaskCount();
    const bad = await t.http().post('/api/tasks/enqueue')
      .send({ task_name: 'orders.send_confirmation', params: { recipient_email: 'not-an-address' } }).expect(400);
    expect(bad.body.message).toEqual(expect.arrayContaining(['params.order_id is required', 'params.recipient_email must be an e-mail address']));
    await expect(t.tasks.enqueue({ taskName: 'orders.send_confirmation', params: { order_id: 'o1' } })).rejects.toMatchObject({
      reasons: ['params.recipient_email must be an e-mail address'],
    });
    expect(await t.tasks.getTaskCount()).toBe(before);
    await t.http().post('/api/tasks/enqueue')
      .send({ task_name: 'orders.send_confirmation', params: { order_id: 'ord_1', recipient_email: 'user@example.com' } }).expect(201);
  });
});
