import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TasksModuleOptions } from './tasks.options.js';

/**
 * What a process does: `api` serves the REST routes and enqueues but runs no workers,
 * `worker` runs the workers and serves no routes, `all` does both.
 */
export type TasksRole = 'api' | 'worker' | 'all';

/** Options known while the module graph is built, so they cannot come from an async factory. */
export interface TasksModuleExtras {
  /** What this process does; default `all`. */
  role?: TasksRole;
  /** Register the module globally, so every module can inject TasksService. */
  isGlobal?: boolean;
  /** Route prefix of the REST controller; default `api/tasks`. */
  routePrefix?: string;
}

export const {
  ConfigurableModuleClass: ConfigurableTasksModule,
  MODULE_OPTIONS_TOKEN: TASKS_MODULE_OPTIONS,
  OPTIONS_TYPE: TASKS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASKS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TasksModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<TasksModuleExtras>({ isGlobal: false, routePrefix: 'api/tasks', role: 'all' }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** Injection token of the process's {@link TasksRole}. */
export const TASKS_ROLE = Symbol('TASKS_ROLE');
