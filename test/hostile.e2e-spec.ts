import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { TaskErrorType, TaskStatus } from '../src/tasks/index.js';
import { HOSTILE_CASES, nested, type HostileCase } from './hostile/cases.js';
import { FIXTURE_QUEUES } from './support/order-tasks.processor.js';
import { startPrivateMariaDb, type PrivateMariaDb } from './support/private-services.js';
import { createTestApp, waitFor, waitForFinalRow, type TestApp } from './support/test-app.js';
import { TestTasks } from './support/test-tasks.processor.js';

/**
 * Hostile input against the real API, on a MariaDB set up as production servers are: every
 * malformed or hostile request gets its 4xx with a message that says what was wrong, none a
 * 5xx, and none creates or changes a row or a job; poisoned requests and results fail alone.
 */
describe('hostile input (production-configured MariaDB + Redis)', () => {
  let mariadb: PrivateMariaDb;
  let t: TestApp;

  beforeAll(async () => {
    mariadb = await startPrivateMariaDb();
    t = await createTestApp({ suite: 'hostile', productionMariaDb: mariadb, providers: [TestTasks], tasks: { queues: FIXTURE_QUEUES.map((queue) => ({ ...queue, concurrency: 20 })) } });
  });
  afterAll(async () => {
    await t?.close();
    await mariadb?.destroy();
  });

  /** A fingerprint of every row and every job: equal before and after means nothing was created or changed. */
  async function state(): Promise<string> {
    const [rows] = await t.dataSource.query('SELECT COUNT(*) AS n, COALESCE(SUM(CRC32(CONCAT(task_id, status, retry_count, COALESCE(result, \'\')))), 0) AS sum FROM background_tasks');
    const jobs = await Promise.all(FIXTURE_QUEUES.map(async ({ name }) => JSON.stringify(await t.queue(name).getJobCounts())));
    return `${rows.n}/${rows.sum}/${jobs.join(',')}`;
  }

  function send(request: HostileCase) {
    const call = t.http()[request.method](`/api/tasks${request.path}`);
    if (request.raw !== undefined) return call.set('Content-Type', request.contentType ?? 'application/json').send(request.raw);
    return request.body === undefined ? call : call.send(request.body as object);
  }

  it(`answers each of ${HOSTILE_CASES.length} hostile requests with its 4xx and a clear message, never a 5xx, changing nothing`, async () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(50);
    await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'before' } }).then((task) => waitForFinalRow(t.tasks, task.taskId));
    const before = await state();
    const answers = [];
    for (const request of HOSTILE_CASES) {
      const response = await send(request);
      const message = [response.body?.message].flat().join('\n');
      answers.push({ name: request.name, status: response.status, clear: request.message.test(message) ? 'yes' : message });
    }
    expect(answers).toEqual(HOSTILE_CASES.map((request) => ({ name: request.name, status: request.status, clear: 'yes' })));
    expect(await state()).toBe(before);
  });

  it('enqueues 100 valid tasks sent together with 10 poisoned ones: 100 x 201, 10 x 400, exactly 100 rows and jobs', async () => {
    const before = Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM background_tasks'))[0].n);
    const poisons: unknown[] = [
      { task_name: 'test.record', params: { x: '\ud800' } }, { task_name: 'test.record', params: nested(40) },
      { task_name: 'test.record', params: { ['\udfff']: 1 } }, { task_name: 'test.record', params: { a: { b: '\udc00\ud800' } } },
      { task_name: 'test.record', params: nested(33) },
    ];
    const requests = [
      ...Array.from({ length: 100 }, (_, i) => ({ poisoned: false, body: { task_name: 'test.record', params: { label: `valid-${i}` } } })),
      ...Array.from({ length: 10 }, (_, i) => ({ poisoned: true, body: poisons[i % poisons.length] })),
    ].sort(() => Math.random() - 0.5);
    const responses = await Promise.all(requests.map(async (request) => ({ ...request, status: (await t.http().post('/api/tasks/enqueue').send(request.body as object)).status })));
    expect(responses.filter((response) => !response.poisoned).map((response) => response.status)).toEqual(Array(100).fill(201));
    expect(responses.filter((response) => response.poisoned).map((response) => response.status)).toEqual(Array(10).fill(400));
    await waitFor(async () => (await t.tasks.getTaskCount({ status: TaskStatus.Completed })) >= before + 100, 'the 100 tasks to complete', 30_000);
    expect(Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM background_tasks'))[0].n)).toBe(before + 100);
  });

  it('fails a task whose handler returns a poisoned result alone, while 100 concurrent tasks complete', async () => {
    const poisoned = await t.tasks.enqueue({ taskName: 'test.poisoned_result', maxRetries: 3 });
    const others = await t.tasks.enqueueMany(Array.from({ length: 100 }, (_, i) => ({ taskName: 'test.record', params: { label: `beside-${i}` } })));
    const failed = await waitForFinalRow(t.tasks, poisoned.taskId);
    expect(failed).toMatchObject({ status: TaskStatus.Failed, errorType: TaskErrorType.Validation, retryCount: 0, result: null });
    expect(failed.errorMessage).toBe("The handler's result cannot be stored: result.text holds a string that is not valid Unicode (a lone surrogate)");
    const done = await Promise.all(others.map((outcome) => waitForFinalRow(t.tasks, outcome.task!.taskId)));
    expect(done.map((task) => task.status)).toEqual(Array(100).fill(TaskStatus.Completed));
  });

  it('gives each bulk item its own answer: a poisoned or internal item is refused, the others enqueued, nothing left for the refused', async () => {
    const before = Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM background_tasks'))[0].n);
    const { body } = await t.http().post('/api/tasks/enqueue/bulk').set('Content-Type', 'application/json').send(
      '{"tasks":[{"task_name":"test.record"},{"task_name":"test.record","params":{"x":"\\ud800"}},{"task_name":"test.internal"},{"task_name":"test.record","params":{"__proto__":{"a":1}}}]}',
    ).expect(200);
    expect(body.results.map((result: { task_id?: string; error?: { statusCode: number } }) => result.task_id ? 201 : result.error!.statusCode)).toEqual([201, 400, 403, 400]);
    expect(Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM background_tasks'))[0].n)).toBe(before + 1);
  });

  it('holds a chunked body (no Content-Length) to its route\'s 100 KB, as a declared one: 413, nothing validated or written', async () => {
    // The tasks of the tests before have finished: nothing but this request could change a row.
    const unfinished = async () => (await t.tasks.getTaskCount({ status: TaskStatus.Pending })) + (await t.tasks.getTaskCount({ status: TaskStatus.Running }))
      + (await Promise.all(FIXTURE_QUEUES.map(({ name }) => t.queue(name).getActiveCount()))).reduce((sum, count) => sum + count, 0);
    await waitFor(async () => (await unfinished()) === 0, 'the earlier tests\' tasks to finish');
    const before = await state();
    const call = t.http().post('/api/tasks/enqueue').set('Content-Type', 'application/json');
    // Written rather than sent: no Content-Length, so Node sends it chunked.
    call.write(JSON.stringify({ task_name: 'test.record', params: { blob: 'x'.repeat(200_000) } }));
    const response = await call;
    const sent = (response as unknown as { req: { getHeader(name: string): unknown } }).req;
    expect(sent.getHeader('content-length')).toBeUndefined();
    expect({ status: response.status, message: response.body.message }).toEqual({ status: 413, message: 'The body is larger than 102400 bytes, the limit of this route' });
    expect(await state()).toBe(before);
  });

  it('compares idempotency keys and task ids byte for byte', async () => {
    const upper = await t.tasks.enqueue({ taskName: 'test.record', idempotencyKey: 'Key-X' });
    const lower = await t.tasks.enqueue({ taskName: 'test.record', idempotencyKey: 'key-x' });
    expect(lower.created).toBe(true);
    expect(lower.taskId).not.toBe(upper.taskId);
    await waitForFinalRow(t.tasks, upper.taskId);
    // An upper-case id names the same task over HTTP (the route uses the id as stored): a right 409, not a wrong one.
    const response = await t.http().post(`/api/tasks/${upper.taskId.toUpperCase()}/cancel`).expect(409);
    expect(response.body).toEqual({ task_id: upper.taskId, success: false, message: 'Task is already completed and cannot be cancelled' });
    await expect(t.tasks.getTaskStatus(upper.taskId.toUpperCase())).rejects.toMatchObject({ status: 404 });
  });

  it('answers an unexpected failure with a bare 500 and logs what failed without the SQL parameters or request data', async () => {
    const failure = Object.assign(new Error('Incorrect string value for column params'), { code: 'ER_TRUNCATED_WRONG_VALUE', sql: 'INSERT INTO background_tasks VALUES (?)', parameters: ['secret@example.com'] });
    const count = jest.spyOn(t.tasks, 'getTaskCount').mockRejectedValueOnce(failure);
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const response = await t.http().get('/api/tasks/count/all?task_type=test').expect(500);
      expect(response.body).toEqual({ statusCode: 500, message: 'Internal Server Error' });
      const lines = logged.mock.calls.map((call) => call.map(String).join(' '));
      expect(lines).toEqual(['GET /api/tasks/count/all failed: Error (ER_TRUNCATED_WRONG_VALUE): Incorrect string value for column params']);
      expect(lines.join('\n')).not.toMatch(/secret|INSERT|task_type=test/);
    } finally {
      count.mockRestore();
      logged.mockRestore();
    }
  });
});
