import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dropDatabase } from '../src/config/ensure-database.js';
import { deleteRedisKeys } from '../src/config/redis-keys.js';
import { DemoProcess } from './faults/demo-process.js';
import { readHandlerLog } from './faults/handler-log.js';
import { freePort } from './support/private-services.js';
import { MYSQL_SERVER_URL, REDIS_URL, uniqueSuiteId, waitFor } from './support/test-app.js';

/** Longest acceptable time from the cancel request to the handler's abort in the other process (measured: tens of ms). */
const MAX_ABORT_MS = 1000;

/**
 * Cancel across OS processes: the demo's API (TASKS_ROLE=api) and a worker (TASKS_ROLE=worker)
 * as separate Node processes, as on two hosts; the handler runs far longer than `cancelWaitMs`
 * (2 s) and honours its signal, so a handler that was not signalled would show.
 */
describe('cancel across OS processes (demo API + worker processes, MariaDB + Redis)', () => {
  const id = uniqueSuiteId('xproc');
  const databaseUrl = `${MYSQL_SERVER_URL}/tasks_test_${id}`;
  const prefix = `tasks-test-${id}`;
  let dir: string;
  let api: DemoProcess;
  let worker: DemoProcess;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tasks-xproc-'));
    const port = await freePort();
    const env = { DATABASE_URL: databaseUrl, REDIS_URL, TASKS_QUEUE_PREFIX: prefix, DEMO_OUTPUT_DIR: dir, DEMO_HANDLER_LOG: join(dir, 'handlers.log') };
    api = new DemoProcess('api', { ...env, TASKS_ROLE: 'api', PORT: String(port) });
    await api.start(/Listening on/);
    worker = new DemoProcess('worker', { ...env, TASKS_ROLE: 'worker' });
    await worker.start(/Worker started \(TASKS_ROLE=worker\)/);
    base = `http://127.0.0.1:${port}/api/tasks`;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await dropDatabase(databaseUrl);
    await deleteRedisKeys(REDIS_URL, `${prefix}:*`);
    await rm(dir, { recursive: true, force: true });
  });

  const post = (path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const statusOf = async (taskId: string) => ((await (await fetch(`${base}/${taskId}`)).json()) as { status: string }).status;

  it(`aborts a handler running in the worker process within ${MAX_ABORT_MS} ms of the cancel, which returns after it stopped; the row stays cancelled`, async () => {
    const enqueued = await post('/enqueue', { task_name: 'demo.sleep', params: { ms: 60_000 } });
    expect(enqueued.status).toBe(201);
    const { task_id: taskId } = (await enqueued.json()) as { task_id: string };
    const log = join(dir, 'handlers.log');
    await waitFor(async () => (await readHandlerLog(log)).some((event) => event.taskId === taskId && event.event === 'start'), 'the handler to start in the worker');

    const sentAt = Date.now();
    const cancelled = await post(`/${taskId}/cancel`);
    const answeredAt = Date.now();
    expect(cancelled.status).toBe(200);
    const events = (await readHandlerLog(log)).filter((event) => event.taskId === taskId);
    const stopped = events.find((event) => event.event === 'fail');
    expect(stopped).toBeDefined();
    // The handler stopped on its signal, in the other process, before the cancel answered.
    expect(stopped!.at - sentAt).toBeLessThanOrEqual(MAX_ABORT_MS);
    expect(stopped!.at).toBeLessThanOrEqual(answeredAt);
    console.log(`cancel across OS processes: handler stopped ${stopped!.at - sentAt} ms after the request; the answer came after ${answeredAt - sentAt} ms`);

    expect(await statusOf(taskId)).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await statusOf(taskId)).toBe('cancelled');
    expect((await readHandlerLog(log)).filter((event) => event.taskId === taskId).map((event) => event.event)).toEqual(['start', 'fail']);
  }, 60_000);

  it('reports a handler in the worker process that ignores its signal (handler_stopped: false) and drops its late result', async () => {
    const enqueued = await post('/enqueue', { task_name: 'demo.stubborn', params: { ms: 3500 } });
    const { task_id: taskId } = (await enqueued.json()) as { task_id: string };
    const log = join(dir, 'handlers.log');
    await waitFor(async () => (await readHandlerLog(log)).some((event) => event.taskId === taskId && event.event === 'start'), 'the handler to start in the worker');

    const sentAt = Date.now();
    const cancelled = await post(`/${taskId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ success: true, running_handler_signalled: true, handler_stopped: false });
    // It waited cancelWaitMs (2 s) for the handler to stop before saying it did not.
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(2000);

    await waitFor(async () => (await readHandlerLog(log)).some((event) => event.taskId === taskId && event.event === 'finish'), 'the handler to return late', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const row = (await (await fetch(`${base}/${taskId}`)).json()) as { status: string; result: unknown };
    expect(row).toMatchObject({ status: 'cancelled', result: null });
  }, 60_000);
});
