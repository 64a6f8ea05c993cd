import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskStatus } from '../src/tasks/index.js';
import { createTestApp, waitFor, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

describe('priorities (MariaDB + Redis)', () => {
  let t: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    // One job at a time on the test queue, so the execution order is the queue's order.
    t = await createTestApp({ suite: 'priority', providers: [TestTasks] });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(() => t.close());

  it('runs priority 10 first and equal priorities in FIFO order', async () => {
    await t.queue('test').pause();
    const plan: Array<[string, number]> = [
      ['low-a', 1], ['mid-a', 5], ['top-a', 10], ['low-b', 1], ['mid-b', 5],
      ['top-b', 10], ['high-a', 8], ['mid-c', 5], ['top-c', 10], ['low-c', 1],
    ];
    const ids: string[] = [];
    for (const [label, priority] of plan) {
      ids.push((await t.tasks.enqueue({ taskName: 'test.record', params: { label }, priority })).taskId);
    }
    expect(fixtures.calls).toHaveLength(0);
    await t.queue('test').resume();

    await waitFor(() => fixtures.calls.length === plan.length, 'every task to run');
    expect(fixtures.calls.map((call) => call.params.label)).toEqual([
      'top-a', 'top-b', 'top-c', 'high-a', 'mid-a', 'mid-b', 'mid-c', 'low-a', 'low-b', 'low-c',
    ]);
    await waitFor(async () => (await t.tasks.getTaskCount({ status: TaskStatus.Completed })) === plan.length, 'rows');
  });

  it('keeps that order for tasks enqueued together (one batch, their jobs sent together)', async () => {
    await t.queue('test').pause();
    const plan: Array<[string, number]> = [
      ['b-low-a', 1], ['b-mid-a', 5], ['b-top-a', 10], ['b-low-b', 1], ['b-mid-b', 5],
      ['b-top-b', 10], ['b-high-a', 8], ['b-mid-c', 5], ['b-top-c', 10], ['b-low-c', 1],
    ];
    const before = fixtures.calls.length;
    const outcomes = await t.tasks.enqueueMany(plan.map(([label, priority]) => ({ taskName: 'test.record', params: { label }, priority })));
    expect(outcomes.every((outcome) => outcome.task)).toBe(true);
    await t.queue('test').resume();

    await waitFor(() => fixtures.calls.length === before + plan.length, 'every task to run');
    expect(fixtures.calls.slice(before).map((call) => call.params.label)).toEqual([
      'b-top-a', 'b-top-b', 'b-top-c', 'b-high-a', 'b-mid-a', 'b-mid-b', 'b-mid-c', 'b-low-a', 'b-low-b', 'b-low-c',
    ]);
  });

  it("uses the queue's default priority when none is given (email: 3)", async () => {
    const { priority } = await t.tasks.enqueue({
      taskName: 'orders.send_confirmation',
      params: { order_id: 'o', recipient_email: 'a@example.com' },
    });
    expect(priority).toBe(3);
  });
});
