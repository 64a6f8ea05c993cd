import { ConfigurableModuleBuilder, type CanActivate, type Type } from '@nestjs/common';
import type { ResolvedTasksOptions, TaskQueueOptions, TasksModuleOptions } from './interfaces/tasks-module-options.interface.js';

/**
 * What a process does: `api` serves the REST routes and enqueues but runs no workers,
 * `worker` runs the workers and serves no routes, `all` does both.
 */
export type TasksRole = 'api' | 'worker' | 'all';

/** Options known while the module graph is built, so they cannot come from an async factory. */
export interface TasksModuleExtras {
  /** What this process does; default: the `TASKS_ROLE` environment variable, else `all`. */
  role?: TasksRole;
  /** Register the module globally, so every module can inject TasksService. */
  isGlobal?: boolean;
  /** Route prefix of the REST controller; default `api/tasks`. */
  routePrefix?: string;
  /**
   * Nest guards on every route of the module (classes are resolved from the providers visible
   * to TasksModule, e.g. global ones; or instances). Default none: the routes are open.
   */
  guards?: Array<Type<CanActivate> | CanActivate>;
  /** False: mount no REST controller (a host that exposes its own routes); default true. */
  controller?: boolean;
  /** Path of the liveness and readiness routes (`<path>/live`, `<path>/ready`); default `health`, false for none. */
  healthPath?: string | false;
  /** Path of the Prometheus metrics route; default `metrics`, false for none. */
  metricsPath?: string | false;
  /** Path of the web dashboard (behind the same guards); default `tasks-dashboard`, false for none. */
  dashboardPath?: string | false;
  /**
   * The `name` of the TypeORM data source (`TypeOrmModule.forRoot({ name })`) whose database
   * holds `background_tasks`, so the tasks can have a database, or a MySQL primary, of their own
   * beside the application's; default `default`, the unnamed data source.
   */
  dataSource?: string;
}

/** The extras' defaults. */
export const DEFAULT_TASKS_EXTRAS: Required<TasksModuleExtras> = { role: 'all', isGlobal: false, routePrefix: 'api/tasks', guards: [], controller: true, healthPath: 'health', metricsPath: 'metrics', dashboardPath: 'tasks-dashboard', dataSource: 'default' };

/** The queue of a host that declares none: task type `default`. */
export const DEFAULT_TASK_QUEUE: Readonly<TaskQueueOptions> = { name: 'default', taskType: 'default', defaultPriority: 5, concurrency: 10 };

/** Every module option's default (`retryStrategies` follow from `retry.backoffDelayMs`). */
export const DEFAULT_TASKS_OPTIONS: Readonly<Omit<ResolvedTasksOptions, 'retryStrategies'>> = {
  redis: 'redis://127.0.0.1:6379',
  queuePrefix: 'tasks',
  queues: [DEFAULT_TASK_QUEUE],
  retry: { maxRetries: 3, backoffDelayMs: 1000 },
  jobRetention: { completedAgeSeconds: 3600, failedAgeSeconds: 24 * 3600 },
  maxParamsBytes: 64 * 1024,
  maxResultBytes: 1024 * 1024,
  shutdownGraceMs: 25_000,
  shutdownAbortGraceMs: 3_000,
  reconciler: { intervalMs: 15_000, minAgeMs: 60_000, batchSize: 1000 },
  cancelWaitMs: 2000,
  workers: { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, cancelCheckIntervalMs: 5000, missingHandlerGraceMs: 600_000 },
  timeoutGraceMs: 1000,
  progressIntervalMs: 1000,
  runningWriteDelayMs: 100,
  maxDelaySeconds: 30 * 24 * 3600,
  retention: { finishedMaxAgeMs: 30 * 24 * 3600 * 1000, intervalMs: 3600 * 1000, batchSize: 1000 },
  schedules: [],
  startupTimeoutMs: 5000,
  probeHost: '127.0.0.1',
};

export const {
  ConfigurableModuleClass: ConfigurableTasksModule,
  MODULE_OPTIONS_TOKEN: TASKS_MODULE_OPTIONS,
  OPTIONS_TYPE: TASKS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASKS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TasksModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<TasksModuleExtras>(DEFAULT_TASKS_EXTRAS, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** Injection token of the resolved options ({@link ResolvedTasksOptions}: every default filled in). */
export const TASKS_OPTIONS = Symbol('TASKS_OPTIONS');

/** Injection token of the process's {@link TasksRole}. */
export const TASKS_ROLE = Symbol('TASKS_ROLE');

/** The library's own BullMQ queue: periodic-task triggers and the retention cleanup. */
export const INTERNAL_QUEUE = 'tasks-internal';
