import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_QUEUES, DemoModule } from '../src/demo/demo.module.js';
import { TaskStatus } from '../src/tasks/index.js';
import { seedTasks } from './support/task-rows.js';
import { createTestApp, waitFor, waitForFinalRow, waitForJobState, type TestApp } from './support/test-app.js';

/** The demo application's own handlers, on the demo's queues (what `npm start` runs). */
describe('the demo handlers (MariaDB + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'demo', modules: [DemoModule], tasks: { queues: DEMO_QUEUES, retention: { finishedMaxAgeMs: 0 } } });
  });
  afterAll(() => t.close());

  it("declares the seed's four queues (e-mail limited to 50 per minute) and its own demo queue", () => {
    expect(DEMO_QUEUES.map((queue) => [queue.name, queue.taskType, queue.defaultPriority])).toEqual([
      ['email', 'email', 3], ['reports', 'report', 5], ['analytics', 'analytics', 2], ['cleanup', 'cleanup', 1], ['demo', 'demo', 5],
    ]);
    expect(DEMO_QUEUES[0].rateLimit).toEqual({ max: 50, durationMs: 60_000 });
  });

  it('sends the confirmation e-mail through an injected service: an .eml file in the outbox', async () => {
    const { taskId } = await t.tasks.enqueue({
      taskName: 'afirgen_tasks.email.send_confirmation',
      params: { fir_id: 'fir_di', recipient_email: 'di@example.com' },
    });
    const done = await waitForFinalRow(t.tasks, taskId);
    expect(done.result).toMatchObject({ status: 'success', fir_id: 'fir_di', recipient: 'di@example.com' });
    const file = (done.result as { outbox_file: string }).outbox_file;
    expect(file).toBe(`outbox/${taskId}.eml`);
    const message = await readFile(join(t.outputDir, file), 'utf8');
    expect(message).toContain('To: di@example.com');
    expect(message).toContain('fir_di');
  });

  it('refuses CR or LF in a value that becomes an e-mail header (no header injection), creating nothing', async () => {
    const before = await t.tasks.getTaskCount();
    const { body } = await t.http().post('/api/tasks/enqueue')
      .send({ task_name: 'afirgen_tasks.email.send_confirmation', params: { fir_id: 'fir_1\r\nBcc: everyone@example.com', recipient_email: 'a@example.com' } })
      .expect(400);
    expect(body.message).toContain('params.fir_id must be one line (no CR or LF)');
    expect(await t.tasks.getTaskCount()).toBe(before);
  });

  it('reports progress in ten steps and stops demo.sleep through its AbortSignal', async () => {
    const short = await t.tasks.enqueue({ taskName: 'demo.sleep', params: { ms: 100 } });
    expect(await waitForFinalRow(t.tasks, short.taskId)).toMatchObject({ status: TaskStatus.Completed, progress: 100, progressMessage: 'slept 10 of 10 steps' });

    const { taskId } = await t.tasks.enqueue({ taskName: 'demo.sleep', params: { ms: 60_000 } });
    await waitFor(async () => (await t.tasks.getTaskStatus(taskId)).status === TaskStatus.Running, 'demo.sleep to run');
    await t.http().post(`/api/tasks/${taskId}/cancel`).expect(200);
    const job = await waitForJobState(t.queue('demo'), taskId, 'failed');
    expect(job.failedReason).toMatch(/abort/i);
    expect((await t.tasks.getTaskStatus(taskId)).status).toBe(TaskStatus.Cancelled);
  });

  it("purges with the age it is given: the seed's cleanup task goes through TasksService.purgeFinishedTasks", async () => {
    const ancient = new Date(Date.now() - 400 * 86_400_000);
    const [old] = await seedTasks(t, [{ taskType: 'cleanup', status: TaskStatus.Completed, createdAt: ancient, completedAt: ancient }]);
    const { taskId } = await t.tasks.enqueue({ taskName: 'afirgen_tasks.cleanup.purge_finished_tasks', params: { older_than_days: 30 } });
    const done = await waitForFinalRow(t.tasks, taskId);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(done.result).toEqual({ deleted: 1, older_than_days: 30 });
    await expect(t.tasks.getTaskStatus(old)).rejects.toMatchObject({ status: 404 });
  });
});
