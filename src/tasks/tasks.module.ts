import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTasksController } from './api/tasks-controller.factory.js';
import { BackgroundTask } from './store/background-task.entity.js';
import { BackgroundTaskSubscriber } from './store/background-task.subscriber.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import { TaskQueues } from './queue/task-queues.js';
import { TaskStateWriter } from './store/task-state.writer.js';
import { TaskWorkersHost } from './worker/task-workers.host.js';
import { TaskRunner } from './worker/task.runner.js';
import { TasksExplorer } from './tasks.explorer.js';
import { TasksMetadataAccessor } from './tasks-metadata.accessor.js';
import {
  ConfigurableTasksModule,
  TASKS_ASYNC_OPTIONS_TYPE,
  TASKS_MODULE_OPTIONS,
  TASKS_OPTIONS_TYPE,
  TASKS_ROLE,
  type TasksModuleExtras,
} from './tasks.module-definition.js';
import { TaskCancellationBus } from './queue/task-cancellation.bus.js';
import { DatabaseHealth } from './store/database-health.js';
import { TaskJobScheduler } from './queue/task-jobs.js';
import { TaskEnqueuer } from './commands/enqueue-task.command.js';
import { TaskReconciler } from './worker/task.reconciler.js';
import { resolveTasksOptions, TASKS_OPTIONS, type TasksModuleOptions } from './tasks.options.js';
import { TasksService } from './tasks.service.js';
import { TaskRetention } from './store/task-retention.js';
import { TaskCanceller } from './commands/cancel-task.command.js';
import { TaskResubmitter } from './commands/retry-task.command.js';
import { TaskSchedules } from './schedules/task-schedules.js';
import { TasksMaintenanceWorker } from './worker/tasks-maintenance.worker.js';

const resolvedOptionsProvider: Provider = {
  provide: TASKS_OPTIONS,
  useFactory: (options: TasksModuleOptions) => resolveTasksOptions(options),
  inject: [TASKS_MODULE_OPTIONS],
};

/**
 * Durable background tasks: import `TasksModule.forRoot(options)` (or `forRootAsync`) once,
 * next to a TypeORM connection that includes the {@link BackgroundTask} entity.
 */
@Module({
  imports: [DiscoveryModule, TypeOrmModule.forFeature([BackgroundTask])],
  providers: [
    resolvedOptionsProvider,
    TasksMetadataAccessor,
    TaskHandlerRegistry,
    TasksExplorer,
    TaskQueues,
    TaskCancellationBus,
    DatabaseHealth,
    TaskJobScheduler,
    TaskEnqueuer,
    TaskReconciler,
    TaskStateWriter,
    TaskRunner,
    TaskWorkersHost,
    BackgroundTaskSubscriber,
    TaskSchedules,
    TaskRetention,
    TaskCanceller,
    TaskResubmitter,
    TasksService,
    TasksMaintenanceWorker,
  ],
  exports: [TasksService],
})
export class TasksModule extends ConfigurableTasksModule {
  static override forRoot(options: typeof TASKS_OPTIONS_TYPE): DynamicModule {
    return withRole(super.forRoot(options), options);
  }

  static override forRootAsync(options: typeof TASKS_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withRole(super.forRootAsync(options), options);
  }
}

/** Mounts the controller unless the process is worker-only, and tells the workers the role. */
function withRole(definition: DynamicModule, { role = 'all', routePrefix = 'api/tasks' }: TasksModuleExtras): DynamicModule {
  return {
    ...definition,
    controllers: role === 'worker' ? [] : [createTasksController(routePrefix)],
    providers: [...(definition.providers ?? []), { provide: TASKS_ROLE, useValue: role }],
  };
}
