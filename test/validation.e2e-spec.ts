import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidTaskRequestError, MAX_RETRIES_LIMIT } from '../src/tasks/index.js';
import { FIXTURE_QUEUES } from './support/order-tasks.processor.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const valid = {
  task_name: 'orders.send_confirmation',
  task_type: 'email',
  params: { order_id: 'ord_12345', recipient_email: 'user@example.com' },
  priority: 5,
  max_retries: 3,
};

/** Each bad body and a fragment of the message that must explain it. */
const BAD_BODIES: Array<[string, unknown, RegExp]> = [
  ['an unknown field', { ...valid, colour: 'red' }, /property colour should not exist/],
  ['a missing task_name', { task_type: 'email' }, /task_name/],
  ['a task_name that is not a string', { ...valid, task_name: 42 }, /task_name must be a string/],
  ['an empty task_name', { ...valid, task_name: '' }, /task_name should not be empty/],
  ['a task_name no handler registers', { ...valid, task_name: 'nope.nothing' }, /"nope.nothing" is not registered/],
  ['a task_type that does not match the handler', { ...valid, task_type: 'report' }, /task_type "report" does not match/],
  ['an unknown task_type', { ...valid, task_type: 'sms' }, /task_type "sms" does not match/],
  ['a task_name over 255 characters', { ...valid, task_name: 'x'.repeat(256) }, /task_name must be a string of 1 to 255 characters/],
  ['a task_type over 100 characters', { ...valid, task_type: 'x'.repeat(101) }, /task_type must be a string of 1 to 100 characters/],
  ['priority 0', { ...valid, priority: 0 }, /priority must be an integer from 1 to 10/],
  ['priority 11', { ...valid, priority: 11 }, /priority must be an integer from 1 to 10/],
  ['a fractional priority', { ...valid, priority: 2.5 }, /priority must be an integer/],
  ['a priority given as a string', { ...valid, priority: '5' }, /priority must be an integer/],
  ['negative max_retries', { ...valid, max_retries: -1 }, /max_retries must be an integer from 0 to 25/],
  ['max_retries over the maximum', { ...valid, max_retries: MAX_RETRIES_LIMIT + 1 }, /max_retries must be an integer from 0 to 25/],
  ['params as an array', { ...valid, params: [1, 2] }, /params must be a JSON object/],
  ['params as a string', { ...valid, params: 'fir_1' }, /params must be a JSON object/],
  ['params as null', { ...valid, params: null }, /params must be a JSON object/],
  ['params larger than the limit', { ...valid, params: { blob: 'x'.repeat(70_000) } }, /params is \d+ bytes of JSON; the limit is 65536/],
  ['a body that is an array', [valid], /^the body must be a JSON object, one task \(several go to POST \/enqueue\/bulk as \{ "tasks": \[\.\.\.\] \}\)$/],
];

describe('bad input (MariaDB + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'validation' });
  });
  afterAll(() => t.close());

  /** No row in MySQL and no job in any queue. */
  async function expectNothingCreated(): Promise<void> {
    const [{ rows }] = await t.dataSource.query('SELECT COUNT(*) AS `rows` FROM background_tasks');
    expect(Number(rows)).toBe(0);
    for (const { name } of FIXTURE_QUEUES) {
      const counts = await t.queue(name).getJobCounts();
      expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe(0);
    }
  }

  it.each(BAD_BODIES)('answers 400 for %s, saying what was wrong, and creates nothing', async (_case, body, message) => {
    const response = await t.http().post('/api/tasks/enqueue').send(body as object).expect(400);
    expect(response.body.statusCode).toBe(400);
    expect([response.body.message].flat().join('\n')).toMatch(message);
    await expectNothingCreated();
  });

  it('answers 400 for malformed JSON and creates nothing', async () => {
    const response = await t.http().post('/api/tasks/enqueue').set('content-type', 'application/json').send('{"task_name": ').expect(400);
    expect(response.body.message).toMatch(/JSON/);
    await expectNothingCreated();
  });

  it('answers 413 for a body over the HTTP limit and creates nothing', async () => {
    await t.http().post('/api/tasks/enqueue').send({ ...valid, params: { blob: 'x'.repeat(200_000) } }).expect(413);
    await expectNothingCreated();
  });

  it.each([
    ['status=unknown', /status must be one of: pending, running, completed, failed, cancelled/],
    ['task_type=sms', /task_type must be one of: test, email, report, analytics, cleanup/],
    ['limit=0', /limit must be an integer from 1 to 1000/],
    ['limit=1001', /limit must be an integer from 1 to 1000/],
    ['offset=-5', /offset must be an integer >= 0/],
    ['offset=10001', /^offset goes at most 10000 tasks deep; page deeper with cursor \(each page's next_cursor\)$/],
    ['limit=abc', /limit must be an integer/],
    ['limit=0x10', /limit must be an integer/],
    ['limit=1e3', /limit must be an integer/],
    ['offset=', /offset must be an integer/],
    ['offset=1.5', /offset must be an integer/],
    ['colour=red', /property colour should not exist/],
  ])('answers 400 for the list query %s', async (query, message) => {
    const response = await t.http().get(`/api/tasks?${query}`).expect(400);
    expect([response.body.message].flat().join('\n')).toMatch(message);
  });

  it('pages with offset down to 10,000 tasks, in the service too, and no deeper', async () => {
    await t.http().get('/api/tasks').query({ limit: 1, offset: 10_000 }).expect(200);
    await expect(t.tasks.listTasks({ limit: 1, offset: 10_000 })).resolves.toMatchObject({ offset: 10_000 });
    await expect(t.tasks.listTasks({ offset: 1_000_000 })).rejects.toMatchObject({ reasons: [expect.stringMatching(/^offset goes at most 10000 tasks deep/)] });
  });

  it.each([
    ['status=unknown', /status must be one of/],
    ['task_type=sms', /task_type must be one of/],
  ])('answers 400 for the count query %s', async (query, message) => {
    const response = await t.http().get(`/api/tasks/count/all?${query}`).expect(400);
    expect([response.body.message].flat().join('\n')).toMatch(message);
  });

  it('throws a typed error from the service for the same mistakes, listing each', async () => {
    const attempt = t.tasks.enqueue({ taskName: 'nope', priority: 0, maxRetries: 99, params: [] as never });
    await expect(attempt).rejects.toBeInstanceOf(InvalidTaskRequestError);
    await expect(attempt).rejects.toMatchObject({
      reasons: [
        'task_name "nope" is not registered by any @TaskHandler',
        'priority must be an integer from 1 to 10',
        'max_retries must be an integer from 0 to 25',
        'params must be a JSON object',
      ],
    });
    await expectNothingCreated();
  });

  it('accepts the valid body of the seed (201) after all the refusals', async () => {
    const response = await t.http().post('/api/tasks/enqueue').send(valid).expect(201);
    expect(response.body).toEqual({ task_id: expect.stringMatching(/^[0-9a-f-]{36}$/), message: 'Task enqueued successfully with priority 5', created: true, run_at: null, expires_at: null });
  });
});
