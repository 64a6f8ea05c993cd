import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TaskErrorType, TaskStatus } from '../../src/tasks/index.js';
import { OneTripTransactions, type TransactionQueries } from '../../src/tasks/store/one-trip-transactions.js';
import { TaskStateWriter } from '../../src/tasks/store/task-state.writer.js';
import { TASK_STATS_TABLE } from '../../src/tasks/store/task-stats.js';
import { countMismatches, seedTasks } from '../support/task-rows.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * The state writer, the only writer of a task's status, driven directly where the public API
 * cannot stage the case: two workers on one task, the reconciler's and the user's transitions.
 */
describe('the state writer (MariaDB)', () => {
  let t: TestApp;
  let writer: TaskStateWriter;

  beforeAll(async () => {
    t = await createTestApp({ suite: 'writer' });
    writer = t.app.get(TaskStateWriter);
  });
  afterAll(() => t.close());

  it("drops the late writes of a worker that lost its job's lock once another attempt started", async () => {
    const writer = t.app.get(TaskStateWriter);
    // A row without a job, so that no worker of this app takes it: the test plays both workers.
    const [taskId] = await seedTasks(t, [{ status: TaskStatus.Pending }]);
    const first = { attemptToken: 'aaaaaaaaaaaaaaaa' };
    const second = { attemptToken: 'bbbbbbbbbbbbbbbb' };
    expect(await writer.start(taskId, first.attemptToken)).toBe(true);
    // BullMQ hands the job to another worker after the first lost its lock.
    expect(await writer.start(taskId, second.attemptToken)).toBe(true);
    await writer.progress(taskId, first.attemptToken, 77, 'late report', { taskType: 'test', taskName: 'test.steps' });
    expect(await writer.fail(taskId, { message: 'late failure', errorType: TaskErrorType.Unknown }, first)).toBe(false);
    expect(await writer.complete(taskId, { from: 'first' }, first)).toBe(false);
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Running, progress: null, errorMessage: null });

    expect(await writer.complete(taskId, { from: 'second' }, second)).toBe(true);
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: TaskStatus.Completed, result: { from: 'second' } });
  });

  it("reopens a failed task on a user's retry: the old round's columns cleared, the last error kept, the counts exact", async () => {
    const [taskId] = await seedTasks(t, [{
      status: TaskStatus.Failed, result: { partial: true }, errorMessage: 'boom', errorType: TaskErrorType.Network, retryCount: 3,
      startedAt: new Date(Date.now() - 2000), completedAt: new Date(Date.now() - 1000), progress: 60, progressMessage: 'sixty', runAt: new Date(),
    }]);
    // The table's insert trigger counted the seeded row.
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
    expect(await writer.resubmit(taskId)).toBe(true);
    expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({
      status: TaskStatus.Pending, retryCount: 0, result: null, startedAt: null, completedAt: null, progress: null, progressMessage: null, runAt: null,
      errorMessage: 'boom', errorType: TaskErrorType.Network,
    });
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
    // A second retry of the same round finds it pending: refused, nothing changes.
    expect(await writer.resubmit(taskId)).toBe(false);
  });

  it('lists a task by failure class and status as its status changes, and not by its old class once an attempt completes', async () => {
    const [taskId] = await seedTasks(t, [{ status: TaskStatus.Failed, errorMessage: 'boom', errorType: TaskErrorType.Resource, retryCount: 3 }]);
    /** This row, if the list with these filters holds it. */
    const listed = async (status?: TaskStatus, errorType: TaskErrorType | null = TaskErrorType.Resource) =>
      (await t.tasks.listTasks({ status, errorType: errorType ?? undefined, limit: 1000 })).tasks.map((task) => task.taskId).filter((id) => id === taskId);
    expect({ failed: await listed(TaskStatus.Failed), pending: await listed(TaskStatus.Pending) }).toEqual({ failed: [taskId], pending: [] });
    // A user's retry keeps the last failure's class: the row is listed under that class as pending.
    expect(await writer.resubmit(taskId)).toBe(true);
    expect({ failed: await listed(TaskStatus.Failed), pending: await listed(TaskStatus.Pending) }).toEqual({ failed: [], pending: [taskId] });
    expect(await writer.start(taskId, 'cccccccccccccccc')).toBe(true);
    expect(await listed(TaskStatus.Running)).toEqual([taskId]);
    // A completed attempt clears the class.
    expect(await writer.complete(taskId, null, { attemptToken: 'cccccccccccccccc' })).toBe(true);
    expect({ byClass: await listed(), completedByClass: await listed(TaskStatus.Completed), completed: await listed(TaskStatus.Completed, null) })
      .toEqual({ byClass: [], completedByClass: [], completed: [taskId] });
  });

  it('fails a pending row whose job the queue gave up on (abandon), and refuses to for a running one', async () => {
    const [pending, running] = await seedTasks(t, [{ status: TaskStatus.Pending }, { status: TaskStatus.Running, startedAt: new Date() }]);
    const failure = { message: 'failed in the queue', errorType: TaskErrorType.Unknown };
    expect(await writer.abandon(pending, failure)).toBe(true);
    expect(await t.tasks.getTaskStatus(pending)).toMatchObject({ status: TaskStatus.Failed, errorMessage: 'failed in the queue', errorType: TaskErrorType.Unknown });
    expect((await t.tasks.getTaskStatus(pending)).completedAt).not.toBeNull();
    expect(await writer.abandon(running, failure)).toBe(false);
    expect((await t.tasks.getTaskStatus(running)).status).toBe(TaskStatus.Running);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it("counts the library's own writes; a host's plain-SQL writes count once recountTasks() ran", async () => {
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
    await t.dataSource.query("INSERT INTO background_tasks (task_id, task_name, task_type, status) VALUES ('by-hand', 'seeded', 'test', 'completed')");
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([expect.stringMatching(/^count of test\/completed\/- is \d+, rows say \d+$/)]);
    const rows = Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM background_tasks'))[0].n);
    expect(await t.tasks.recountTasks()).toBe(rows);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
    expect(await t.tasks.getTaskCount()).toBe(rows);
  });

  it('splits a batch MySQL refuses: the one write it will not store fails alone, the others commit', async () => {
    const ids = await seedTasks(t, Array.from({ length: 10 }, () => ({ status: TaskStatus.Running, startedAt: new Date() })));
    // The first four writes take the four batches in flight; the six after them wait and go out
    // together as one batch, in which the eighth carries a result MySQL's JSON refuses.
    const writes = ids.map((taskId, index) => writer.complete(taskId, index === 7 ? { text: 'half a character: \ud800' } : { index }));
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(ids.map((_, index) => (index === 7 ? 'rejected' : 'fulfilled')));
    const rows = await Promise.all(ids.map((taskId) => t.tasks.getTaskStatus(taskId)));
    expect(rows.map((row) => row.status)).toEqual(ids.map((_, index) => (index === 7 ? TaskStatus.Running : TaskStatus.Completed)));
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  /** The statements the writer's transactions send while `run` runs, in order (the driver still runs them). */
  const statementsSentDuring = async (run: () => Promise<unknown>): Promise<Array<[sql: string, values?: unknown[]]>> => {
    const oneTrip = t.app.get(OneTripTransactions);
    const transaction = oneTrip.transaction.bind(oneTrip);
    const sent: Array<[sql: string, values?: unknown[]]> = [];
    const recorded = (tx: TransactionQueries): TransactionQueries => ({
      query: (sql, values) => (sent.push([sql, values]), tx.query(sql, values)),
      defer: (sql, values) => (sent.push([sql, values]), tx.defer(sql, values)),
    });
    const spy = jest.spyOn(oneTrip, 'transaction').mockImplementation((work) => transaction((tx) => work(recorded(tx))));
    try {
      await run();
    } finally {
      spy.mockRestore();
    }
    return sent;
  };
  const LOCKING_READ = /SELECT[\s\S]+FOR UPDATE/;
  const COMPARE_AND_SET = /^UPDATE background_tasks FORCE INDEX \(idx_task_id\) SET [\s\S]+ AND task_type = \? AND status = 'pending' AND error_type IS NULL AND workflow_id IS NULL AND parent_id IS NULL$/;
  /** A worker's attempt whose start was never written: its handler started `msAgo` ago. */
  const unwrittenStart = (index: number, msAgo: number) => ({ attemptToken: `fresh${String(index).padStart(11, '0')}`, startsAt: performance.now() - msAgo });

  it('completes fresh tasks without reading their rows first: the UPDATE is the compare-and-set; rows, counts and stats as the locking way writes them', async () => {
    const taskName = 'fresh.quick';
    const ids = await seedTasks(t, Array.from({ length: 30 }, () => ({ status: TaskStatus.Pending, taskName })));
    const fresh = { taskType: 'test', taskName };
    let outcomes: boolean[] = [];
    const sent = await statementsSentDuring(async () => {
      outcomes = await Promise.all(ids.map((taskId, index) => writer.complete(taskId, { index }, unwrittenStart(index, 40), fresh)));
    });
    expect(outcomes).toEqual(ids.map(() => true));
    expect(sent.filter(([sql]) => LOCKING_READ.test(sql))).toEqual([]);
    const updates = sent.filter(([sql]) => COMPARE_AND_SET.test(sql));
    expect(updates.length).toBeGreaterThanOrEqual(1);
    // It finds its rows by their ids, not by the status index, even where few rows are pending.
    for (const [sql, values] of updates) expect((await t.dataSource.query(`EXPLAIN ${sql}`, values)).map((step: { key: string }) => step.key)).toEqual(['idx_task_id']);
    for (const [index, taskId] of ids.entries()) {
      const row = await t.tasks.getTaskStatus(taskId);
      expect(row).toMatchObject({ status: TaskStatus.Completed, result: { index }, progress: 100, errorType: null });
      // Started when its handler did (40 ms before the write), as the locking way back-dates it.
      expect(row.completedAt!.getTime() - row.startedAt!.getTime()).toBeGreaterThanOrEqual(40);
    }
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
    const [stats] = await t.dataSource.query(
      `SELECT SUM(finished) AS finished, SUM(duration_ms) AS ms FROM ${TASK_STATS_TABLE} WHERE grain = 'm' AND task_name = ? AND status = 'completed' AND error_type = ''`,
      [taskName],
    );
    expect(Number(stats.finished)).toBe(ids.length);
    expect(Number(stats.ms)).toBeGreaterThanOrEqual(ids.length * 40);
  });

  it('writes the batch the locking way when a fresh task is not as assumed: the cancelled one refused, one resubmitted with its old class completed, the others completed; counts exact', async () => {
    const taskName = 'fresh.raced';
    const [cancelled, resubmitted, plain] = await seedTasks(t, [
      { status: TaskStatus.Pending, taskName },
      // A user's retry keeps the last failure's class on the pending row.
      { status: TaskStatus.Pending, taskName, errorType: TaskErrorType.Network, errorMessage: 'the last round failed' },
      { status: TaskStatus.Pending, taskName },
    ]);
    expect(await writer.cancel(cancelled)).toBe(true);
    const fresh = { taskType: 'test', taskName };
    let outcomes: boolean[] = [];
    const sent = await statementsSentDuring(async () => {
      outcomes = await Promise.all([cancelled, resubmitted, plain].map((taskId, index) => writer.complete(taskId, 'done', unwrittenStart(index, 5), fresh)));
    });
    expect(outcomes).toEqual([false, true, true]);
    expect(await t.tasks.getTaskStatus(cancelled)).toMatchObject({ status: TaskStatus.Cancelled, result: null });
    expect(await t.tasks.getTaskStatus(resubmitted)).toMatchObject({ status: TaskStatus.Completed, result: 'done', errorType: null, errorMessage: null });
    expect(await t.tasks.getTaskStatus(plain)).toMatchObject({ status: TaskStatus.Completed, result: 'done' });
    // Each batch tried the compare-and-set, found a row not as assumed, and read its rows under lock.
    const kinds = sent.flatMap(([sql]) => (COMPARE_AND_SET.test(sql) ? ['compare-and-set'] : LOCKING_READ.test(sql) ? ['locking read'] : []));
    expect(kinds.length).toBeGreaterThanOrEqual(2);
    expect(kinds.join()).toMatch(/^(compare-and-set,locking read,?)+$/);
    // Both find the batch's rows by their ids, though this table is small enough for a scan that would lock every row.
    const reads = sent.filter(([sql]) => COMPARE_AND_SET.test(sql) || LOCKING_READ.test(sql) || sql.startsWith('UPDATE background_tasks'));
    for (const [sql, values] of reads) expect((await t.dataSource.query(`EXPLAIN ${sql}`, values)).map((step: { key: string }) => step.key)).toEqual(['idx_task_id']);
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it("checks each row's type: a batch of two types is one compare-and-set each; a worker that gives another type than the row's (a queue retyped by a deploy) sends its batch the locking way", async () => {
    const taskName = 'fresh.typed';
    const [first, ofOther, ofTest, retyped] = await seedTasks(t, [
      { status: TaskStatus.Pending, taskName },
      { status: TaskStatus.Pending, taskName, taskType: 'other' },
      { status: TaskStatus.Pending, taskName },
      { status: TaskStatus.Pending, taskName },
    ]);
    const as = (taskType: string) => ({ taskType, taskName });
    let outcomes: boolean[] = [];
    const twoTypes = await statementsSentDuring(async () => {
      outcomes = await Promise.all([[first, 'test'], [ofOther, 'other'], [ofTest, 'test']].map(([taskId, taskType], index) => writer.complete(taskId, null, unwrittenStart(index, 5), as(taskType))));
    });
    expect(outcomes).toEqual([true, true, true]);
    expect(twoTypes.filter(([sql]) => LOCKING_READ.test(sql))).toEqual([]);
    // However the three are batched, each batch's rows of one type go in an UPDATE of their own.
    const types = twoTypes.filter(([sql]) => COMPARE_AND_SET.test(sql)).map(([, values]) => values!.at(-1));
    expect(types.filter((type) => type === 'other')).toEqual(['other']);
    expect(types.filter((type) => type === 'test').length).toBeGreaterThanOrEqual(1);
    const wrongType = await statementsSentDuring(async () => {
      outcomes = [await writer.complete(retyped, null, unwrittenStart(3, 5), as('renamed'))];
    });
    expect(outcomes).toEqual([true]);
    expect(wrongType.flatMap(([sql]) => (COMPARE_AND_SET.test(sql) ? ['compare-and-set'] : LOCKING_READ.test(sql) ? ['locking read'] : []))).toEqual(['compare-and-set', 'locking read']);
    expect(await t.tasks.getTaskStatus(retyped)).toMatchObject({ status: TaskStatus.Completed, taskType: 'test' });
    // Counted under the row's own type, not the one the worker gave.
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });

  it('splits a batch of fresh completions MySQL refuses: the one result it will not store fails alone, the others commit', async () => {
    const taskName = 'fresh.refused';
    const ids = await seedTasks(t, Array.from({ length: 8 }, () => ({ status: TaskStatus.Pending, taskName })));
    const fresh = { taskType: 'test', taskName };
    // The first write goes out alone; the seven after it form the next batch, in which the sixth carries a result MySQL's JSON refuses.
    const results = ids.map((_, index) => (index === 5 ? { text: 'half a character: \ud800' } : { index }));
    const outcomes = await Promise.allSettled(ids.map((taskId, index) => writer.complete(taskId, results[index], unwrittenStart(index, 5), fresh)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(ids.map((_, index) => (index === 5 ? 'rejected' : 'fulfilled')));
    const rows = await Promise.all(ids.map((taskId) => t.tasks.getTaskStatus(taskId)));
    expect(rows.map((row) => row.status)).toEqual(ids.map((_, index) => (index === 5 ? TaskStatus.Pending : TaskStatus.Completed)));
    expect(await countMismatches((sql) => t.dataSource.query(sql))).toEqual([]);
  });
});
