import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { ProbeServer, TaskStatus, TasksMetrics } from '../../src/tasks/index.js';
import { TaskWorkersHost } from '../../src/tasks/worker/task-workers.host.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** The value of one sample line of a Prometheus exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => {
    if (!candidate.startsWith(`${name}{`) && !candidate.startsWith(`${name} `)) return false;
    return wanted.every((pair) => candidate.includes(pair));
  });
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('health and metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'ops_metrics', providers: [TestTasks], tasks: { probePort: 0 } });
  });
  afterAll(() => t?.close());

  it('is live, and ready with MySQL, Redis and a running worker for every served queue', async () => {
    expect((await t.http().get('/health/live').expect(200)).body).toMatchObject({ status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({ mysql: { status: 'up' }, redis: { status: 'up' }, workers: { status: 'up' } });
    expect(ready.body.info.workers.queues).toEqual(expect.arrayContaining(['test', 'email']));
  });

  it('exports counts by type, status and error class, handler durations, write lag and rejected enqueues', async () => {
    const done = await t.tasks.enqueue({ taskName: 'test.record', params: {} });
    const failed = await t.tasks.enqueue({ taskName: 'test.always_fail', params: {}, maxRetries: 0 });
    await waitForFinalRow(t.tasks, done.taskId);
    await waitForFinalRow(t.tasks, failed.taskId);
    await t.http().post('/api/tasks/enqueue').send({ task_name: 'no.such_task', params: {} }).expect(400);

    const response = await t.http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.text;
    expect(sample(text, 'background_tasks', { task_type: 'test', status: 'completed', error_type: 'none' })).toBe(1);
    expect(sample(text, 'background_tasks', { task_type: 'test', status: 'failed', error_type: 'unknown' })).toBe(1);
    expect(sample(text, 'background_tasks_handler_duration_seconds_count', { task_name: 'test.record', outcome: 'completed' })).toBe(1);
    expect(sample(text, 'background_tasks_handler_duration_seconds_count', { task_name: 'test.always_fail', outcome: 'failed' })).toBe(1);
    // One write each: both handlers end sooner than runningWriteDelayMs, so start and outcome go together.
    expect(sample(text, 'background_tasks_transition_write_seconds_count')).toBe(2);
    expect(sample(text, 'background_tasks_transitions_total', { task_type: 'test', status: 'completed' })).toBe(1);
    expect(sample(text, 'background_tasks_enqueue_rejected_total', { reason: 'invalid' })).toBe(1);
    for (const state of ['waiting', 'prioritized', 'delayed', 'active']) expect(sample(text, 'background_tasks_queue_jobs', { queue: 'test', state })).toBe(0);
  });

  it('counts queued jobs by state', async () => {
    await t.tasks.enqueue({ taskName: 'test.record', params: {}, delaySeconds: 600 });
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(sample(text, 'background_tasks_queue_jobs', { queue: 'test', state: 'delayed' })).toBe(1);
    expect(sample(text, 'background_tasks', { task_type: 'test', status: 'pending', error_type: 'none' })).toBe(1);
  });

  it("exports every metric the README's alert rules name, with the labels and label values they use", async () => {
    const readme = await readFile('README.md', 'utf8');
    const rules = /### Alerting[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1];
    const expressions = rules.split(/^\s+expr: /m).slice(1).map((rule) => rule.split(/^\s+for: |^\s+labels: /m)[0]);
    expect(expressions).toHaveLength(7);
    const registry = t.app.get(TasksMetrics).registry;
    const text = (await t.http().get('/metrics').expect(200)).text;
    for (const expression of expressions) {
      const names = [...new Set([...expression.matchAll(/\b(background_tasks\w*)/g)].map((match) => match[1]))];
      const metrics = names.map((name) => registry.getSingleMetric(name.replace(/_bucket$/, '')) as unknown as { labelNames: string[] } | undefined);
      expect({ expression, missing: names.filter((_, index) => !metrics[index]) }).toEqual({ expression, missing: [] });
      // Every label grouped on or matched must be one of the expression's metrics' labels (`le`: the histogram's buckets).
      const grouped = [...expression.matchAll(/\b(?:by|on) \(([^)]*)\)/g)].flatMap((match) => match[1].split(',').map((label) => label.trim()));
      const matchers = [...expression.matchAll(/(\w+)\{(\w+)(=~?)"([^"]*)"\}/g)].map(([, metric, label, , values]) => ({ metric, label, values: values.split('|') }));
      const known = new Set(['le', ...metrics.flatMap((metric) => metric!.labelNames)]);
      expect({ expression, unknown: [...grouped, ...matchers.map((matcher) => matcher.label)].filter((label) => !known.has(label)) }).toEqual({ expression, unknown: [] });
      // Each value matched is one the metric takes (this suite has completed and failed tasks, and every queue state).
      for (const { metric, label, values } of matchers) {
        for (const value of values) expect({ metric, label, value, exported: text.split('\n').some((line) => line.startsWith(`${metric}{`) && line.includes(`${label}="${value}"`)) }).toEqual({ metric, label, value, exported: true });
      }
    }
  });

  it('serves the probes and the metrics on the probe port too', async () => {
    const port = t.app.get(ProbeServer).port();
    expect(port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}`;
    expect((await (await fetch(`${base}/health/live`)).json()) as object).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('background_tasks_queue_jobs{queue="test",state="waiting"} 0');
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });

  it('is not ready once its workers stopped, and says which', async () => {
    await t.app.get(TaskWorkersHost).beforeApplicationShutdown();
    const ready = await t.http().get('/health/ready').expect(503);
    expect(ready.body.error.workers).toMatchObject({ status: 'down' });
    expect(ready.body.error.workers.stopped).toEqual(expect.arrayContaining(['test', 'email']));
    const probe = await fetch(`http://127.0.0.1:${t.app.get(ProbeServer).port()}/health/ready`);
    expect(probe.status).toBe(503);
    await t.http().get('/health/live').expect(200);
  });
});

describe('worker selection', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'ops_select', providers: [TestTasks], tasks: { workerQueues: ['email'] } });
  });
  afterAll(() => t?.close());

  it('runs the tasks of the queues it serves and leaves the others to their own workers', async () => {
    const email = await t.tasks.enqueue({ taskName: 'orders.send_confirmation', params: { order_id: 'o1', recipient_email: 'a@example.com' } });
    const other = await t.tasks.enqueue({ taskName: 'test.record', params: {} });
    expect((await waitForFinalRow(t.tasks, email.taskId)).status).toBe(TaskStatus.Completed);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await t.tasks.getTaskStatus(other.taskId)).status).toBe(TaskStatus.Pending);
    expect(['waiting', 'prioritized']).toContain(await t.queue('test').getJobState(other.taskId));
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.workers.queues).toEqual(['email']);
  });

  it('a second process serving the other queue runs its task', async () => {
    const other = await t.tasks.enqueue({ taskName: 'test.record', params: {} });
    const second = await createTestApp({ suite: 'ops_select_2', providers: [TestTasks], shareWith: t, tasks: { workerQueues: ['test'] } });
    try {
      expect((await waitForFinalRow(t.tasks, other.taskId)).status).toBe(TaskStatus.Completed);
      await waitFor(async () => (await t.tasks.getTaskCount({ taskType: 'test', status: TaskStatus.Pending })) === 0, 'the earlier test task to run too');
    } finally {
      await second.close();
    }
  });
});
