import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { TaskStatus } from '../../src/tasks/index.js';
import { readEvents, type ReceivedEvent } from '../support/sse-client.js';
import { TaskEventBus } from '../../src/tasks/events/task-event.bus.js';
import { TaskStateWriter } from '../../src/tasks/store/task-state.writer.js';
import { createTestApp, REDIS_URL, waitFor, waitForFinalRow, type TestApp } from '../support/test-app.js';
import { ODD_PROGRESS_MESSAGE, TestTasks } from '../support/test-tasks.processor.js';

const statusesOf = (events: ReceivedEvent[]) => events.map((event) => event.data.status);
const isFinal = (event: ReceivedEvent) => ['completed', 'failed', 'cancelled'].includes(String(event.data.status));

describe('live task events (SSE)', () => {
  let api: TestApp;
  let worker: TestApp;
  let base: string;

  beforeAll(async () => {
    // The API process runs no worker: every event it streams was committed by the other process.
    api = await createTestApp({ suite: 'ops_events', providers: [TestTasks], role: 'api', tasks: { progressIntervalMs: 0 } });
    worker = await createTestApp({ suite: 'ops_events_w', providers: [TestTasks], role: 'worker', shareWith: api, tasks: { progressIntervalMs: 0 } });
    await api.app.listen(0);
    base = `${await api.app.getUrl()}/api/tasks`.replace('[::1]', 'localhost');
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it("streams one task's snapshot, start, progress and outcome from another process, and ends at the final state", async () => {
    // The task starts only once the stream is open (its snapshot received): else, on a loaded
    // machine, `running` (written 100 ms into the handler) may precede the subscription and show
    // only in the snapshot.
    await api.queue('test').pause();
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.steps', params: { ms: 1000 } });
    let resumed: Promise<void> | undefined;
    const events = await readEvents(`${base}/${taskId}/events`, {
      until: (received) => {
        if (received.length > 0) resumed ??= api.queue('test').resume();
        return false;
      },
    });
    await resumed;
    expect(events[0]).toMatchObject({ type: 'snapshot', data: { task_id: taskId, task_name: 'test.steps', task_type: 'test', status: 'pending' } });
    const progress = events.filter((event) => event.type === 'progress').map((event) => event.data.progress as number);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ type: 'status', data: { status: 'completed', progress: 100 } });
    expect(statusesOf(events.filter((event) => event.type === 'status'))).toContain('running');
    // Ids are the stream's, in order, so a reconnect can name the last one it saw.
    const ids = events.slice(1).map((event) => event.id!.split('-').map(Number));
    expect(ids.every((id, index) => index === 0 || id[0] > ids[index - 1][0] || (id[0] === ids[index - 1][0] && id[1] > ids[index - 1][1]))).toBe(true);
  });

  it("appends a batch's events in one call, one stream entry per event with every field", async () => {
    const tasks = await api.tasks.enqueueMany(['a', 'b', 'c'].map((label) => ({ taskName: 'test.record', params: { label }, delaySeconds: 3600 })));
    const ids = tasks.map((outcome) => outcome.task!.taskId);
    const publisher = (api.app.get(TaskEventBus) as unknown as { publisher: { appendTaskEvents(...args: unknown[]): Promise<number> } }).publisher;
    const append = jest.spyOn(publisher, 'appendTaskEvents');
    const redis = new Redis(REDIS_URL);
    try {
      // Submitted in one synchronous run: one writer batch.
      const writer = api.app.get(TaskStateWriter);
      expect(await Promise.all(ids.map((id) => writer.cancel(id)))).toEqual([true, true, true]);
      expect(append).toHaveBeenCalledTimes(1);
      const key = `${api.queuePrefix}:tasks:events`;
      const entries = await waitFor(async () => {
        const newest = (await redis.xrevrange(key, '+', '-', 'COUNT', 3)) as [string, string[]][];
        return newest.filter(([, fields]) => ids.includes(fields[3])).length === 3 && newest.reverse();
      }, 'the three entries');
      // The batch's rows in task id order, each entry as one XADD of every field wrote it.
      expect(entries.map(([, fields]) => fields[3])).toEqual([...ids].sort());
      for (const [, fields] of entries) {
        expect(fields.filter((_, index) => index % 2 === 0)).toEqual(['kind', 'task_id', 'task_type', 'task_name', 'status', 'error_type', 'progress', 'progress_message', 'at']);
        expect(fields.slice(0, 10)).toEqual(['kind', 'status', 'task_id', fields[3], 'task_type', 'test', 'task_name', 'test.record', 'status', 'cancelled']);
      }
    } finally {
      append.mockRestore();
      redis.disconnect();
    }
  });

  it("streams a progress message as the handler wrote it: quotes, newline and emoji; a lone surrogate as U+FFFD", async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.odd_progress', params: {} });
    const events = await readEvents(`${base}/${taskId}/events`);
    const progress = events.filter((event) => event.type === 'progress');
    expect(progress.map((event) => event.data.progress_message)).toEqual([ODD_PROGRESS_MESSAGE.replace('\ud800', '\uFFFD')]);
    expect(events.at(-1)).toMatchObject({ type: 'status', data: { status: 'completed' } });
  });

  it('answers a finished task with its final snapshot alone', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: {} });
    await waitForFinalRow(api.tasks, taskId);
    const events = await readEvents(`${base}/${taskId}/events`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'snapshot', data: { status: 'completed' } });
  });

  it('does not miss the final state when a client reconnects with Last-Event-ID', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.steps', params: { ms: 1500 } });
    const first = await readEvents(`${base}/${taskId}/events`, { until: (events) => events.some((event) => event.type === 'progress') });
    expect(first.some(isFinal)).toBe(false);
    await waitForFinalRow(api.tasks, taskId);
    const resumed = await readEvents(`${base}/${taskId}/events`, { headers: { 'last-event-id': first.at(-1)!.id! } });
    expect(resumed.at(-1)!.data.status).toBe('completed');
  });

  it('streams every task, filtered by name, and replays what a reconnecting client missed', async () => {
    const { taskId: seen } = await api.tasks.enqueue({ taskName: 'test.record', params: {} });
    const first = await readEvents(`${base}/events?task_name=test.record`, {
      until: (events) => events.some((event) => event.data.task_id === seen && isFinal(event)),
    });
    expect(first.every((event) => event.data.task_name === 'test.record')).toBe(true);
    // While no client listens: another task runs, and a task of another name.
    const { taskId: missed } = await api.tasks.enqueue({ taskName: 'test.record', params: {} });
    const { taskId: otherName } = await api.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 10 } });
    await waitForFinalRow(api.tasks, missed);
    await waitForFinalRow(api.tasks, otherName);
    const resumed = await readEvents(`${base}/events?task_name=test.record`, {
      headers: { 'last-event-id': first.at(-1)!.id! },
      until: (events) => events.some((event) => event.data.task_id === missed && isFinal(event)),
    });
    // A quick handler's start and outcome are one write, so one event.
    expect(resumed.filter((event) => event.data.task_id === missed).map((event) => event.data.status)).toEqual(['completed']);
    expect(resumed.some((event) => event.data.task_id === otherName || event.data.task_id === seen)).toBe(false);
  });

  it('answers 404 for an unknown task and 400 for a malformed id, as JSON', async () => {
    const unknown = await fetch(`${base}/00000000-0000-4000-8000-000000000000/events`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/not found/i);
    expect((await fetch(`${base}/not-a-uuid/events`)).status).toBe(400);
    expect((await fetch(`${base}/events?unknown=1`)).status).toBe(400);
  });

  it("ends a task's stream at a final status the live stream never carried, read from the row", async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: {}, delaySeconds: 600 });
    // Ended by the row's reads (every 5 s) or not at all: the read is given three of them.
    const reading = readEvents(`${base}/${taskId}/events`, { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // As a process that died between its commit and the event's append would leave it: the row
    // cancelled, nothing in the stream. Without the row's reads the stream never ends (times out).
    await api.dataSource.query(`UPDATE background_tasks SET status = 'cancelled', completed_at = NOW(3) WHERE task_id = ?`, [taskId]);
    const events = await reading;
    expect(events.map((event) => `${event.type}:${event.data.status}`)).toEqual(['snapshot:pending', 'status:cancelled']);
    expect(events[1].id).toBe(events[0].id);
  });

  it('streams a cancel', async () => {
    const { taskId } = await api.tasks.enqueue({ taskName: 'test.record', params: {}, delaySeconds: 600 });
    const reading = readEvents(`${base}/${taskId}/events`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await api.tasks.cancelTask(taskId);
    const events = await reading;
    expect(events.at(-1)).toMatchObject({ type: 'status', data: { status: TaskStatus.Cancelled } });
  });
});
