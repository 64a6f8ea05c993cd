import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_QUEUES, DemoModule } from '../src/demo/demo.module.js';
import { TaskStatus } from '../src/tasks/index.js';
import { runScript } from './support/child-process.js';
import { createTestApp, REDIS_URL, waitForFinalRow, type TestApp } from './support/test-app.js';

describe('a worker killed between a step completing and the next step being queued', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await createTestApp({ suite: 'wf_crash', modules: [DemoModule], role: 'api', tasks: { queues: DEMO_QUEUES } });
  });
  afterAll(() => api?.close());

  it('leaves the next step released in MySQL, and the reconciler queues it: the workflow finishes, each step completed once, without a retry', async () => {
    const workflow = await api.tasks.chain([
      { taskName: 'demo.sleep', params: { ms: 10 } },
      { taskName: 'demo.sleep', params: { ms: 20 } },
    ]);
    const [first, second] = workflow.nodes.filter((node) => node.taskName === 'demo.sleep');
    const output = await runScript('test/support/release-then-die.mjs', { DATABASE_URL: api.databaseUrl, REDIS_URL, TASKS_QUEUE_PREFIX: api.queuePrefix });
    expect(output.signal).toBe('SIGKILL');
    expect(output.stdout).toContain(`RELEASED ${second.taskId}`);
    // The completion and the release were one commit; the job was never added.
    expect(await api.tasks.getTaskStatus(first.taskId)).toMatchObject({ status: TaskStatus.Completed });
    expect(await api.tasks.getTaskStatus(second.taskId)).toMatchObject({ status: TaskStatus.Pending, blocked: false, input: { slept_ms: expect.any(Number) } });
    expect(await api.queue('demo').getJob(second.taskId)).toBeUndefined();

    const worker = await createTestApp({
      suite: 'wf_crash_w', modules: [DemoModule], role: 'worker', shareWith: api,
      tasks: { queues: DEMO_QUEUES, reconciler: { intervalMs: 250, minAgeMs: 1000 } },
    });
    try {
      expect((await waitForFinalRow(api.tasks, workflow.workflowId)).status).toBe(TaskStatus.Completed);
      // It ran once, with its predecessor's result, from the job the reconciler added.
      expect(await api.tasks.getTaskStatus(second.taskId)).toMatchObject({ status: TaskStatus.Completed, retryCount: 0, result: { slept_ms: expect.any(Number) } });
      expect(await api.tasks.getTaskStatus(first.taskId)).toMatchObject({ status: TaskStatus.Completed, retryCount: 0 });
      expect(worker.tasks.getReconcilerStats().jobsRecreated).toBe(1);
    } finally {
      await worker.close();
    }
  });
});
