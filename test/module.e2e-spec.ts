import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication, type Provider } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import { dropDatabase, ensureDatabase } from '../src/config/ensure-database.js';
import {
  BackgroundTask,
  DuplicateTaskHandlerError,
  IllegalTaskTransitionError,
  InvalidTasksOptionsError,
  TaskHandler,
  TaskHandlerOutsideProcessorError,
  TaskProcessor,
  TasksModule,
  TasksService,
  TaskStatus,
  UnknownTaskQueueError,
  type TasksModuleExtras,
  type TasksModuleOptions,
} from '../src/tasks/index.js';
import { deleteRedisKeys, MYSQL_SERVER_URL, REDIS_URL, TEST_QUEUE, uniqueSuiteId, waitFor } from './support/test-app.js';

@Injectable()
class GreetingService {
  greet(name: string): string {
    return `Hello, ${name}`;
  }
}

@TaskProcessor('test')
class GreeterTasks {
  constructor(private readonly greeting: GreetingService) {}

  @TaskHandler('test.greet')
  greet(params: { name: string }) {
    return { text: this.greeting.greet(params.name) };
  }
}

@TaskProcessor('test')
class DuplicateGreeterTasks {
  @TaskHandler('test.greet')
  greetAgain() {
    return null;
  }
}

@TaskProcessor('nowhere')
class LostTasks {
  @TaskHandler('test.lost')
  lost() {
    return null;
  }
}

@Injectable()
class NotAProcessor {
  @TaskHandler('test.orphan')
  orphan() {
    return null;
  }
}

describe('TasksModule wiring (MariaDB + Redis)', () => {
  const id = uniqueSuiteId('module');
  const databaseUrl = `${MYSQL_SERVER_URL}/tasks_test_${id}`;
  const queuePrefix = `tasks-test-${id}`;

  beforeAll(async () => {
    await ensureDatabase(databaseUrl);
    const migrator = await new DataSource(tasksDataSourceOptions(databaseUrl)).initialize();
    await migrator.runMigrations();
    await migrator.destroy();
  });
  afterAll(async () => {
    await dropDatabase(databaseUrl);
    await deleteRedisKeys(queuePrefix);
  });

  /** Enqueues `test.greet` over REST under `routePrefix` and reads the task back there. */
  async function greetAndReadBack(app: INestApplication, routePrefix: string, name: string): Promise<void> {
    const created = await request(app.getHttpServer()).post(`/${routePrefix}/enqueue`).send({ task_name: 'test.greet', params: { name } }).expect(201);
    await request(app.getHttpServer()).get(`/${routePrefix}/${created.body.task_id}`).expect(200);
  }

  async function boot(providers: Provider[], options: Partial<TasksModuleOptions & TasksModuleExtras> = {}) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(tasksDataSourceOptions(databaseUrl)),
        TasksModule.forRoot({ redis: REDIS_URL, queuePrefix, queues: [TEST_QUEUE], ...options }),
      ],
      providers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
    } catch (error) {
      await app.close();
      throw error;
    }
    return app;
  }

  it('runs a handler that injects another provider', async () => {
    const app = await boot([GreetingService, GreeterTasks]);
    try {
      const tasks = app.get(TasksService);
      const { taskId } = await tasks.enqueue({ taskName: 'test.greet', params: { name: 'Nest' } });
      const done = await waitFor(async () => {
        const task = await tasks.getTaskStatus(taskId);
        return task.status === TaskStatus.Completed && task;
      }, 'test.greet to complete');
      expect(done.result).toEqual({ text: 'Hello, Nest' });
    } finally {
      await app.close();
    }
  });

  it('refuses two handlers for one task name, naming both', async () => {
    const attempt = boot([GreetingService, GreeterTasks, DuplicateGreeterTasks]);
    await expect(attempt).rejects.toBeInstanceOf(DuplicateTaskHandlerError);
    await expect(attempt).rejects.toThrow(/"test.greet" is handled by both GreeterTasks.greet and DuplicateGreeterTasks.greetAgain/);
  });

  it('refuses a processor on a queue that is not configured', async () => {
    const attempt = boot([LostTasks]);
    await expect(attempt).rejects.toBeInstanceOf(UnknownTaskQueueError);
    await expect(attempt).rejects.toThrow(/LostTasks is a @TaskProcessor\('nowhere'\) but no queue "nowhere" is configured \(configured: test\)/);
  });

  it('refuses a @TaskHandler on a class that is not a @TaskProcessor', async () => {
    const attempt = boot([NotAProcessor]);
    await expect(attempt).rejects.toBeInstanceOf(TaskHandlerOutsideProcessorError);
    await expect(attempt).rejects.toThrow(/NotAProcessor.orphan is a @TaskHandler but NotAProcessor is not a @TaskProcessor/);
  });

  it('refuses a schedule whose task no handler registers, naming both', async () => {
    const attempt = boot([GreetingService, GreeterTasks], { schedules: [{ name: 'nightly', taskName: 'test.nobody', cron: '0 3 * * *' }] });
    await expect(attempt).rejects.toBeInstanceOf(InvalidTasksOptionsError);
    await expect(attempt).rejects.toThrow(/schedule "nightly": no @TaskHandler registers "test.nobody"/);
  });

  it('refuses a handler whose enqueue permission is neither api nor internal, naming it', async () => {
    @TaskProcessor('test')
    class LooseTasks {
      @TaskHandler('test.loose', { enqueue: 'public' as never })
      loose() {
        return null;
      }
    }
    const attempt = boot([LooseTasks]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidTasksOptionsError);
    await expect(attempt).rejects.toThrow(/LooseTasks.loose: enqueue must be 'api' or 'internal'/);
  });

  it("refuses a handler's defaults outside what an enqueue may set, naming each", async () => {
    @TaskProcessor('test')
    class OverreachingTasks {
      @TaskHandler('test.overreach', { maxRetries: 26, priority: 0, expiresInSeconds: 0 })
      overreach() {
        return null;
      }
    }
    const attempt = boot([OverreachingTasks]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidTasksOptionsError);
    await expect(attempt).rejects.toThrow(
      'OverreachingTasks.overreach: maxRetries must be an integer from 0 to 25; OverreachingTasks.overreach: priority must be an integer from 1 to 10; ' +
        'OverreachingTasks.overreach: expiresInSeconds must be a number greater than 0 and at most maxDelaySeconds (2592000)',
    );
  });

  it('gives an extra passed as undefined (an unset environment variable, say) its default', async () => {
    const app = await boot([GreetingService, GreeterTasks], { routePrefix: undefined, dataSource: undefined, healthPath: undefined });
    try {
      await greetAndReadBack(app, 'api/tasks', 'unset');
      await request(app.getHttpServer()).get('/health/live').expect(200);
    } finally {
      await app.close();
    }
  });

  it('builds from forRootAsync and mounts the API under routePrefix', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ REDIS: REDIS_URL })] }),
        TypeOrmModule.forRoot(tasksDataSourceOptions(databaseUrl)),
        TasksModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ redis: config.get('REDIS'), queuePrefix, queues: [TEST_QUEUE] }),
          routePrefix: 'jobs/v2',
        }),
      ],
      providers: [GreetingService, GreeterTasks],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      await greetAndReadBack(app, 'jobs/v2', 'async');
      await request(app.getHttpServer()).get('/api/tasks/count/all').expect(404);
    } finally {
      await app.close();
    }
  });

  describe('BackgroundTaskSubscriber', () => {
    it('refuses an illegal status change through TypeORM and stamps timestamps on legal ones', async () => {
      const app = await boot([GreetingService, GreeterTasks]);
      try {
        const repository = app.get(DataSource).getRepository(BackgroundTask);
        await app.get(TasksService).enqueue({ taskName: 'test.greet', params: { name: 'x' } });
        const [task] = await repository.find();
        await waitFor(async () => (await repository.findOneByOrFail({ id: task.id })).status === TaskStatus.Completed, 'completion');

        const completed = await repository.findOneByOrFail({ id: task.id });
        completed.status = TaskStatus.Running;
        await expect(repository.save(completed)).rejects.toBeInstanceOf(IllegalTaskTransitionError);
        expect((await repository.findOneByOrFail({ id: task.id })).status).toBe(TaskStatus.Completed);

        await expect(
          repository.insert({ taskId: 'not-pending', taskName: 'test.greet', taskType: 'test', status: TaskStatus.Completed }),
        ).rejects.toBeInstanceOf(IllegalTaskTransitionError);

        await repository.insert({ taskId: 'manual', taskName: 'test.greet', taskType: 'test' });
        const manual = await repository.findOneByOrFail({ taskId: 'manual' });
        expect(manual.completedAt).toBeNull();
        manual.status = TaskStatus.Cancelled;
        await repository.save(manual);
        const cancelled = await repository.findOneByOrFail({ taskId: 'manual' });
        expect(cancelled.status).toBe(TaskStatus.Cancelled);
        expect(cancelled.completedAt).toBeInstanceOf(Date);
      } finally {
        await app.close();
      }
    });
  });
});
