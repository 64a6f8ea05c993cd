import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mysql2 from 'mysql2';
import { isDatabaseUnavailable } from '../../src/tasks/store/database-health.js';
import { OneTripTransactions } from '../../src/tasks/store/one-trip-transactions.js';
import { TaskStateWriter } from '../../src/tasks/store/task-state.writer.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { TestTasks } from '../support/test-tasks.processor.js';

/** Transactions in as few requests as their reads allow: all or nothing, like any transaction. */
describe('one-trip transactions (MariaDB)', () => {
  let t: TestApp;
  let oneTrip: OneTripTransactions;
  const insert = (id: number, note = 'row'): [string, unknown[]] => ['INSERT INTO one_trip_probe (id, note) VALUES (?, ?)', [id, note]];
  const ids = async () => ((await t.dataSource.query('SELECT id FROM one_trip_probe ORDER BY id')) as { id: number }[]).map((row) => row.id);

  beforeAll(async () => {
    t = await createTestApp({ suite: 'onetrip', role: 'api', providers: [TestTasks] });
    oneTrip = t.app.get(OneTripTransactions);
    await t.dataSource.query('CREATE TABLE one_trip_probe (id INT PRIMARY KEY, note VARCHAR(100) NOT NULL)');
  });
  afterAll(() => t.close());

  it('commits every statement of the transaction', async () => {
    await oneTrip.run([insert(1), insert(2)]);
    expect(await ids()).toEqual([1, 2]);
  });

  it('rolls back the statements before a failing one, and leaves its connection with no transaction open', async () => {
    const failed = await oneTrip.run([insert(3), insert(1)]).catch((error: unknown) => error);
    expect((failed as { errno?: number }).errno).toBe(1062);
    expect(await ids()).toEqual([1, 2]);
    // Sequential runs reuse that connection: had 3 stayed open, this START TRANSACTION would commit it.
    await oneTrip.run([insert(4)]);
    expect(await ids()).toEqual([1, 2, 4]);
  });

  it('sends deferred statements with the next read, which sees them; a throw in the work rolls back what was sent', async () => {
    const seen = await oneTrip.transaction(async (tx) => {
      tx.defer(...insert(10));
      const [row] = await tx.query<{ n: string | number }[]>('SELECT COUNT(*) AS n FROM one_trip_probe WHERE id >= 10');
      tx.defer(...insert(11));
      return Number(row.n);
    });
    expect(seen).toBe(1);
    expect(await ids()).toEqual([1, 2, 4, 10, 11]);

    const thrown = await oneTrip
      .transaction(async (tx) => {
        await tx.query(...insert(12));
        throw new Error('the work changed its mind');
      })
      .catch((error: Error) => error.message);
    expect(thrown).toBe('the work changed its mind');
    await oneTrip.run([insert(13)]);
    expect(await ids()).toEqual([1, 2, 4, 10, 11, 13]);
  });

  it('escapes every value: a value that reads as SQL is stored as it is', async () => {
    const hostile = "x'); DELETE FROM one_trip_probe; -- ;";
    await oneTrip.run([insert(5, hostile)]);
    expect(await t.dataSource.query('SELECT note FROM one_trip_probe WHERE id = 5')).toEqual([{ note: hostile }]);
    expect(await ids()).toEqual([1, 2, 4, 5, 10, 11, 13]);
  });

  it('sends an enqueue to MySQL as one request and a batch of state changes as two', async () => {
    const query = jest.spyOn(mysql2.PoolConnection.prototype, 'query');
    // Requests on the module's own connections (the only ones that ask for several statements).
    const requests = () => query.mock.contexts.filter((connection) => (connection as { config: { multipleStatements?: boolean } }).config.multipleStatements).length;
    try {
      const { taskId } = await t.tasks.enqueue({ taskName: 'test.sleep', params: { ms: 1 } });
      expect(requests()).toBe(1);
      expect(await t.app.get(TaskStateWriter).start(taskId, 'dddddddddddddddd')).toBe(true);
      expect(requests()).toBe(3);
      expect(await t.tasks.getTaskStatus(taskId)).toMatchObject({ status: 'running' });
    } finally {
      query.mockRestore();
    }
  });

  it('refuses, as MySQL unavailable, once the application shut down', async () => {
    const own = new OneTripTransactions(t.dataSource);
    await own.run([insert(6)]);
    await own.onApplicationShutdown();
    const refused = await own.run([insert(7)]).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(await ids()).toEqual([1, 2, 4, 5, 6, 10, 11, 13]);
  });
});
