import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidTaskRequestError, TaskStatus } from '../../src/tasks/index.js';
import { countMismatches } from '../support/task-rows.js';
import { createTestApp, waitForFinalRow, whilePaused, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** Singleton keys (pg-boss's `singletonKey`): at most one unfinished task per key. */
describe('singleton keys (MariaDB + Redis)', () => {
  let t: TestApp;
  let peer: TestApp;
  let fixtures: TestTasks;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'singleton_keys', providers: [TestTasks] });
    // A second process on the same database and queues (no workers), for enqueues that race across processes.
    peer = await createTestApp({ suite: 'singleton_keys', role: 'api', providers: [TestTasks], shareWith: t });
    fixtures = t.app.get(TestTasks);
  });
  afterAll(async () => {
    await peer?.close();
    await t?.close();
  });

  const keyRows = () => t.dataSource.query('SELECT singleton_key, task_id FROM background_task_singletons ORDER BY singleton_key') as Promise<Array<{ singleton_key: string; task_id: string }>>;

  /** A counter's sample for one label, as /metrics shows it. */
  const counter = async (name: string, label: string, value: string) => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    return Number(new RegExp(`^${name}\\{${label}="${value}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };
  /** `background_tasks_enqueue_deduplicated_total` for one key kind. */
  const deduplicated = (key: 'idempotency' | 'singleton') => counter('background_tasks_enqueue_deduplicated_total', 'key', key);

  it('returns the unfinished task that holds the key; once it has finished, the key makes a new task', async () => {
    const before = await deduplicated('singleton');
    const [first, again, overHttp, inBulk] = await whilePaused(t.queue('test'), async () => [
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'reindex-1' }, singletonKey: 'reindex:42' }),
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'reindex-2' }, singletonKey: 'reindex:42' }),
      (await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', params: { label: 'reindex-3' }, singleton_key: 'reindex:42' }).expect(200)).body,
      (await t.http().post('/api/tasks/enqueue/bulk').send({ tasks: [{ task_name: 'test.record', params: { label: 'reindex-4' }, singleton_key: 'reindex:42' }] }).expect(200)).body,
    ]);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ taskId: first.taskId, created: false });
    const held = { task_id: first.taskId, created: false, message: 'A task with this singleton_key is still pending or running' };
    expect(overHttp).toMatchObject(held);
    expect(inBulk.results).toEqual([{ index: 0, ...held }]);
    expect(await deduplicated('singleton')).toBe(before + 3);
    expect((await waitForFinalRow(t.tasks, first.taskId)).status).toBe(TaskStatus.Completed);
    expect(fixtures.callsOf(first.taskId)).toHaveLength(1);
    // The row keeps the key it was enqueued with, finished or not; a task without one shows null.
    expect((await t.tasks.getTaskStatus(first.taskId)).singletonKey).toBe('reindex:42');
    expect((await t.http().get(`/api/tasks/${first.taskId}`).expect(200)).body).toMatchObject({ singleton_key: 'reindex:42', idempotency_key: null });
    const plain = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'no key' } });
    expect((await t.http().get(`/api/tasks/${plain.taskId}`).expect(200)).body).toMatchObject({ singleton_key: null });

    const next = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'reindex-5' }, singletonKey: 'reindex:42' });
    expect(next).toMatchObject({ created: true });
    expect(next.taskId).not.toBe(first.taskId);
    expect((await waitForFinalRow(t.tasks, next.taskId)).status).toBe(TaskStatus.Completed);
  });

  it('takes a key of 255 characters beyond the BMP (510 UTF-16 units), as its columns count them', async () => {
    const key = '\u{1F600}'.repeat(255);
    const [first, again] = await whilePaused(t.queue('test'), async () => [
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'astral-1' }, singletonKey: key }),
      (await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', params: { label: 'astral-2' }, singleton_key: key }).expect(200)).body,
    ]);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ task_id: first.taskId, created: false });
    expect((await keyRows()).filter((row) => row.task_id === first.taskId)).toEqual([{ singleton_key: key, task_id: first.taskId }]);
    expect((await waitForFinalRow(t.tasks, first.taskId)).singletonKey).toBe(key);
  });

  it('creates exactly one task for 40 enqueues of one key racing from two processes, for a new key and for one whose holder finished', async () => {
    const race = () =>
      whilePaused(t.queue('test'), () =>
        Promise.all(Array.from({ length: 40 }, (_, index) => (index % 2 ? peer : t).tasks.enqueue({ taskName: 'test.record', params: { label: `race-${index}` }, singletonKey: 'race' }))),
      );
    for (const round of ['a new key', 'a key whose holder finished']) {
      const outcomes = await race();
      const created = outcomes.filter((outcome) => outcome.created);
      expect([round, created.length]).toEqual([round, 1]);
      expect(new Set(outcomes.map((outcome) => outcome.taskId))).toEqual(new Set([created[0].taskId]));
      await waitForFinalRow(t.tasks, created[0].taskId);
    }
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('lets enqueues with different keys run at once: 1,000 new keys from 50 callers, none waiting on another, all created', async () => {
    let next = 0;
    const outcomes: boolean[] = [];
    await whilePaused(t.queue('test'), () =>
      Promise.all(Array.from({ length: 50 }, async () => {
        for (let index = next++; index < 1000; index = next++) outcomes.push((await t.tasks.enqueue({ taskName: 'test.record', params: { index }, singletonKey: `many:${index}` })).created);
      })),
    );
    expect(outcomes).toEqual(Array.from({ length: 1000 }, () => true));
  });

  it('answers every enqueue of a batch: a held key with its holder, a freed key and a new key each with the one task the batch made', async () => {
    const finished = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'done' }, singletonKey: 'batch:freed' });
    await waitForFinalRow(t.tasks, finished.taskId);
    const before = await deduplicated('singleton');
    const { holder, outcomes } = await whilePaused(t.queue('test'), async () => {
      const holder = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'holder' }, singletonKey: 'batch:held' });
      // Submitted together, so they share one batch (one transaction).
      const keys = ['batch:held', 'batch:freed', 'batch:new', 'batch:held', 'batch:freed', 'batch:new'];
      return { holder, outcomes: await Promise.all(keys.map((singletonKey, index) => t.tasks.enqueue({ taskName: 'test.record', params: { index }, singletonKey }))) };
    });
    const [held, freed, fresh] = [0, 1, 2].map((index) => [outcomes[index], outcomes[index + 3]]);
    expect(held).toEqual([holder, holder].map(({ taskId }) => expect.objectContaining({ taskId, created: false })));
    for (const [first, again] of [freed, fresh]) {
      expect(first.created).toBe(true);
      expect(again).toMatchObject({ taskId: first.taskId, created: false });
    }
    expect(freed[0].taskId).not.toBe(finished.taskId);
    expect(await deduplicated('singleton')).toBe(before + 4);
    expect((await keyRows()).filter((row) => row.singleton_key.startsWith('batch:'))).toEqual([
      { singleton_key: 'batch:freed', task_id: freed[0].taskId },
      { singleton_key: 'batch:held', task_id: holder.taskId },
      { singleton_key: 'batch:new', task_id: fresh[0].taskId },
    ]);
    for (const { taskId } of [holder, freed[0], fresh[0]]) expect((await waitForFinalRow(t.tasks, taskId)).status).toBe(TaskStatus.Completed);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('makes one task per key when two processes enqueue the same keys in opposite orders at once', async () => {
    const keys = Array.from({ length: 10 }, (_, index) => `order:${index}`);
    const outcomes = await whilePaused(t.queue('test'), () =>
      Promise.all([
        ...keys.map((singletonKey) => t.tasks.enqueue({ taskName: 'test.record', params: {}, singletonKey })),
        ...[...keys].reverse().map((singletonKey) => peer.tasks.enqueue({ taskName: 'test.record', params: {}, singletonKey })),
      ]),
    );
    expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(keys.length);
    // The two answers for each key name one task.
    keys.forEach((_, index) => expect(outcomes[keys.length + (keys.length - 1 - index)].taskId).toBe(outcomes[index].taskId));
  });

  it('writes a batch whose tasks share an idempotency key: one is created, the other returns it', async () => {
    const outcomes = await whilePaused(t.queue('test'), () =>
      Promise.all([
        t.tasks.enqueue({ taskName: 'test.record', params: { n: 1 }, singletonKey: 'iso:a', idempotencyKey: 'iso:same' }),
        t.tasks.enqueue({ taskName: 'test.record', params: { n: 2 }, singletonKey: 'iso:b', idempotencyKey: 'iso:same' }),
        t.tasks.enqueue({ taskName: 'test.record', params: { n: 3 }, singletonKey: 'iso:c' }),
      ]),
    );
    expect(outcomes.map((outcome) => outcome.created).sort()).toEqual([false, true, true]);
    expect(outcomes[0].taskId).toBe(outcomes[1].taskId);
    expect(outcomes[2].created).toBe(true);
  });

  it('writes the rest of a batch when MySQL refuses one of its tasks: that one alone fails, with a 400 that quotes MySQL, counted as a rejected enqueue', async () => {
    await t.dataSource.query(
      "CREATE TRIGGER refuse_poisoned_key BEFORE INSERT ON background_tasks FOR EACH ROW BEGIN IF NEW.singleton_key = 'refuse:poison' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned row'; END IF; END",
    );
    try {
      const keys = ['refuse:fine-1', 'refuse:poison', 'refuse:fine-2'];
      const rejectedBefore = await counter('background_tasks_enqueue_rejected_total', 'reason', 'invalid');
      // Submitted together: one batch, which MySQL refuses whole, then written task by task.
      const outcomes = await whilePaused(t.queue('test'), () => Promise.allSettled(keys.map((singletonKey) => t.tasks.enqueue({ taskName: 'test.record', params: {}, singletonKey }))));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const refusal = (outcomes[1] as PromiseRejectedResult).reason;
      expect(refusal).toBeInstanceOf(InvalidTaskRequestError);
      expect(refusal.reasons).toEqual(['MySQL refused this task: poisoned row']);
      // Refused after its batch was written, not by validation: counted all the same.
      expect(await counter('background_tasks_enqueue_rejected_total', 'reason', 'invalid')).toBe(rejectedBefore + 1);
      // The refused task's claim went with its transaction; its batch-mates hold theirs.
      expect((await keyRows()).map((row) => row.singleton_key).filter((key) => key.startsWith('refuse:'))).toEqual(['refuse:fine-1', 'refuse:fine-2']);
    } finally {
      await t.dataSource.query('DROP TRIGGER refuse_poisoned_key');
    }
  });

  it('frees the key of a task that was cancelled or failed', async () => {
    const held = await whilePaused(t.queue('test'), async () => {
      const task = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'cancelled' }, singletonKey: 'cancel-me' });
      await t.tasks.cancelTask(task.taskId);
      return task;
    });
    const after = await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'after-cancel' }, singletonKey: 'cancel-me' });
    expect(after.created).toBe(true);
    expect(after.taskId).not.toBe(held.taskId);

    const failing = await t.tasks.enqueue({ taskName: 'test.throws', params: { kind: 'validation' }, singletonKey: 'fail-me' });
    expect((await waitForFinalRow(t.tasks, failing.taskId)).status).toBe(TaskStatus.Failed);
    expect((await t.tasks.enqueue({ taskName: 'test.throws', params: { kind: 'validation' }, singletonKey: 'fail-me' })).created).toBe(true);
  });

  it("holds the key in the caller's transaction: a second enqueue in it returns the first, a rollback frees the key", async () => {
    const [first, second] = await t.dataSource.transaction(async (manager) => [
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'tx-1' }, singletonKey: 'in-tx' }, { manager }),
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'tx-2' }, singletonKey: 'in-tx' }, { manager }),
    ]);
    expect(second).toMatchObject({ taskId: first.taskId, created: false });
    expect((await waitForFinalRow(t.tasks, first.taskId)).status).toBe(TaskStatus.Completed);

    const rolledBack = t.dataSource.transaction(async (manager) => {
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'tx-rolled-back' }, singletonKey: 'rolled-back' }, { manager });
      throw new Error('the caller changed its mind');
    });
    await expect(rolledBack).rejects.toThrow('the caller changed its mind');
    expect((await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'tx-after' }, singletonKey: 'rolled-back' })).created).toBe(true);
  });

  it('frees the key rows of the tasks retention deletes', async () => {
    expect((await keyRows()).map((row) => row.singleton_key)).toContain('reindex:42');
    // Every task of this suite has finished by now (or finishes within the wait).
    const held = await keyRows();
    for (const { task_id: taskId } of held) await waitForFinalRow(t.tasks, taskId);
    await t.tasks.purgeFinishedTasks(0);
    expect(await keyRows()).toEqual([]);
  });

  it('takes an idempotency key beside it: either one finding its task returns that task', async () => {
    const before = { idempotency: await deduplicated('idempotency'), singleton: await deduplicated('singleton') };
    const [first, sameSingleton, sameIdempotency] = await whilePaused(t.queue('test'), async () => [
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'both-1' }, singletonKey: 'both', idempotencyKey: 'both-1' }),
      (await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', params: {}, singleton_key: 'both', idempotency_key: 'both-2' }).expect(200)).body,
      await t.tasks.enqueue({ taskName: 'test.record', params: { label: 'both-3' }, singletonKey: 'other', idempotencyKey: 'both-1' }),
    ]);
    expect(first.created).toBe(true);
    expect(sameSingleton).toMatchObject({ task_id: first.taskId, created: false, message: 'A task with this idempotency_key exists, or one with this singleton_key is still pending or running' });
    expect(sameIdempotency).toMatchObject({ taskId: first.taskId, created: false });
    expect({ idempotency: await deduplicated('idempotency'), singleton: await deduplicated('singleton') }).toEqual({ idempotency: before.idempotency + 1, singleton: before.singleton + 1 });
    await waitForFinalRow(t.tasks, first.taskId);
    // Finished: its singleton key is free, its idempotency key still names it.
    expect(await t.tasks.enqueue({ taskName: 'test.record', singletonKey: 'both', idempotencyKey: 'both-1' })).toMatchObject({ taskId: first.taskId, created: false });
    const next = await t.tasks.enqueue({ taskName: 'test.record', singletonKey: 'both', idempotencyKey: 'both-4' });
    expect(next.created).toBe(true);
    await waitForFinalRow(t.tasks, next.taskId);
  });

  it('refuses a bad key, and keys on workflow steps or in a transactional bulk enqueue', async () => {
    const cases: Array<[object, string]> = [
      [{ singleton_key: '' }, 'singleton_key must be a string of 1 to 255 characters'],
      [{ singleton_key: ' padded' }, 'singleton_key must not start or end with whitespace'],
    ];
    for (const [fields, message] of cases) {
      const { body } = await t.http().post('/api/tasks/enqueue').send({ task_name: 'test.record', params: {}, ...fields }).expect(400);
      expect(body.message).toEqual([message]);
    }
    const step = await t.http().post('/api/tasks/workflows').send({ chain: [{ task_name: 'test.record', params: {}, singleton_key: 'k' }] }).expect(400);
    expect(JSON.stringify(step.body.message)).toContain('singleton_key');
    const bulk = t.dataSource.transaction((manager) => t.tasks.enqueueMany([{ taskName: 'test.record', singletonKey: 'k' }], { manager }));
    await expect(bulk).rejects.toBeInstanceOf(InvalidTaskRequestError);
  });
});
