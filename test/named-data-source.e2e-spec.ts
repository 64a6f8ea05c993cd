import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import { InvalidTaskRequestError, TasksModule, TasksService, TaskStatus } from '../src/tasks/index.js';
import { FIXTURE_QUEUES, OrderTasks } from './support/order-tasks.processor.js';
import { deleteRedisKeys, MYSQL_SERVER_URL, REDIS_URL, uniqueSuiteId, waitForFinalRow } from './support/test-app.js';

/** The host application's own table, in its own (default) database. */
@Entity('orders')
class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  reference!: string;
}

const confirmation = (order: string) => ({ taskName: 'orders.send_confirmation', params: { order_id: order, recipient_email: 'user@example.com' } });

/** A host whose default data source is its own database and whose tasks live in a second one, named `tasks`. */
describe('TasksModule on a named data source', () => {
  const id = uniqueSuiteId('named_ds');
  const appUrl = `${MYSQL_SERVER_URL}/tasks_test_${id}_app`;
  const tasksUrl = `${MYSQL_SERVER_URL}/tasks_test_${id}`;
  const queuePrefix = `tasks-test-${id}`;
  let app: INestApplication;
  let tasks: TasksService;
  let appData: DataSource;
  let tasksData: DataSource;

  const tablesIn = async (data: DataSource) =>
    (await data.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')).map((row: { name: string }) => row.name);

  beforeAll(async () => {
    await Promise.all([ensureDatabase(appUrl), ensureDatabase(tasksUrl)]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'mysql', url: appUrl, entities: [Order], synchronize: true }),
        TypeOrmModule.forRoot({ ...tasksDataSourceOptions(tasksUrl), name: 'tasks', migrationsRun: true }),
        TasksModule.forRoot({ redis: REDIS_URL, queuePrefix, queues: FIXTURE_QUEUES, dataSource: 'tasks', isGlobal: true }),
      ],
      providers: [OrderTasks],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    tasks = app.get(TasksService);
    appData = app.get(DataSource);
    tasksData = app.get<DataSource>(getDataSourceToken('tasks'));
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([dropDatabase(appUrl), dropDatabase(tasksUrl), deleteRedisKeys(queuePrefix)]);
  });

  it("migrates and keeps background_tasks in the named data source's database, none in the default one", async () => {
    expect(await tablesIn(tasksData)).toContain('background_tasks');
    expect(await tablesIn(appData)).toEqual(['orders']);
  });

  it('enqueues over REST, runs the handler, and reads, lists, counts and summarises the task from that database', async () => {
    const created = await request(app.getHttpServer())
      .post('/api/tasks/enqueue')
      .send({ task_name: 'orders.send_confirmation', params: { order_id: 'ord_1', recipient_email: 'user@example.com' } })
      .expect(201);
    const taskId: string = created.body.task_id;
    expect((await waitForFinalRow(tasks, taskId)).status).toBe(TaskStatus.Completed);
    const [row] = await tasksData.query('SELECT status, result FROM background_tasks WHERE task_id = ?', [taskId]);
    expect(row.status).toBe('completed');
    const read = await request(app.getHttpServer()).get(`/api/tasks/${taskId}`).expect(200);
    expect(read.body).toMatchObject({ task_id: taskId, status: 'completed', result: { order_id: 'ord_1' } });
    const listed = await request(app.getHttpServer()).get('/api/tasks/').query({ task_type: 'email', status: 'completed' }).expect(200);
    expect(listed.body.tasks.map((task: { task_id: string }) => task.task_id)).toContain(taskId);
    const counted = await request(app.getHttpServer()).get('/api/tasks/count/all').query({ task_type: 'email', status: 'completed' }).expect(200);
    expect(counted.body.count).toBe(listed.body.total_count);
    const stats = await request(app.getHttpServer()).get('/api/tasks/stats').query({ window: '1h', task_type: 'email' }).expect(200);
    expect(stats.body.totals.completed).toBeGreaterThanOrEqual(1);
  });

  it('cancels a delayed task in that database', async () => {
    const { taskId } = await tasks.enqueue({ ...confirmation('ord_later'), delaySeconds: 60 });
    await request(app.getHttpServer()).post(`/api/tasks/${taskId}/cancel`).expect(200);
    const [row] = await tasksData.query('SELECT status FROM background_tasks WHERE task_id = ?', [taskId]);
    expect(row.status).toBe('cancelled');
  });

  it("enqueues in a transaction of the named data source and refuses a manager of the application's own", async () => {
    let taskId = '';
    await tasksData.transaction(async (manager) => {
      ({ taskId } = await tasks.enqueue(confirmation('ord_tx'), { manager }));
    });
    expect((await waitForFinalRow(tasks, taskId)).status).toBe(TaskStatus.Completed);

    const before = await tasks.getTaskCount();
    const refused = appData.transaction(async (manager) => {
      await manager.save(Order, { reference: 'ord_wrong' });
      await tasks.enqueue(confirmation('ord_wrong'), { manager });
    });
    await expect(refused).rejects.toBeInstanceOf(InvalidTaskRequestError);
    await expect(refused).rejects.toMatchObject({ reasons: [expect.stringContaining('the data source TasksModule uses')] });
    expect(await tasks.getTaskCount()).toBe(before);
    expect(await appData.getRepository(Order).countBy({ reference: 'ord_wrong' })).toBe(0);
  });

  const options = { redis: REDIS_URL, queuePrefix, queues: FIXTURE_QUEUES };
  it.each([
    ['forRoot', () => TasksModule.forRoot({ ...options, dataSource: 'missing' })],
    ['forRootAsync', () => TasksModule.forRootAsync({ useFactory: () => options, dataSource: 'missing' })],
  ])('fails the bootstrap of %s, naming the data source, when no TypeOrmModule.forRoot registered that name', async (_, tasksModule) => {
    const compiling = Test.createTestingModule({
      imports: [
        // Never connected: the bootstrap fails before anything would close it.
        TypeOrmModule.forRoot({ type: 'mysql', url: appUrl, entities: [Order], manualInitialization: true }),
        tasksModule(),
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(/missingDataSource/);
  });
});
