import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import { validateAppConfig, type AppConfig } from './config/app.config.js';
import { ApiKeyGuard } from './demo/api-key.guard.js';
import { DEMO_QUEUES, DemoModule } from './demo/demo.module.js';
import { TasksModule } from 'tasks-module';

/** The demo application: TasksModule on MySQL and Redis from the environment, plus demo handlers. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, validate: validateAppConfig }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        ...tasksDataSourceOptions(config.get('DATABASE_URL')),
        // main.ts has migrated the database already, and says so clearly when it cannot.
        migrationsRun: false,
        // Fail the startup rather than retry for half a minute.
        retryAttempts: 1,
        retryDelay: 500,
      }),
    }),
    TasksModule.forRootAsync({
      // The role decides which controllers and workers exist, so it is read while the module
      // graph is built (ConfigModule.forRoot above has loaded .env by then).
      role: validateAppConfig(process.env).TASKS_ROLE,
      // The demo's handlers inject TasksService (the cleanup task purges through it).
      isGlobal: true,
      // TASKS_API_KEY locks every task route (see ApiKeyGuard).
      guards: [ApiKeyGuard],
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        redis: config.get('REDIS_URL'),
        queuePrefix: config.get('TASKS_QUEUE_PREFIX'),
        queues: DEMO_QUEUES,
        retry: { backoffDelayMs: config.get('TASKS_RETRY_BACKOFF_MS') },
        workers: {
          lockDurationMs: config.get('TASKS_LOCK_DURATION_MS'),
          stalledIntervalMs: config.get('TASKS_STALLED_INTERVAL_MS'),
        },
        reconciler: {
          intervalMs: config.get('TASKS_RECONCILE_INTERVAL_MS'),
          minAgeMs: config.get('TASKS_RECONCILE_MIN_AGE_MS'),
        },
        // TASKS_WORKER_QUEUES and TASKS_PROBE_PORT/HOST are read by the module itself.
        // A periodic task: the seed's statistics every six hours (GET /api/tasks/schedules).
        schedules: [{ name: 'task-stats', taskName: 'afirgen_tasks.analytics.task_stats', cron: '0 */6 * * *', tz: 'UTC', overlap: false }],
      }),
    }),
    DemoModule,
  ],
})
export class AppModule {}
