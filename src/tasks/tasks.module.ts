import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { SwaggerDocumenter } from './api/swagger.documenter.js';
import { createTasksControllers } from './api/tasks-controller.factory.js';
import { CancelTaskCommand } from './commands/cancel-task.command.js';
import { DeleteTaskCommand } from './commands/delete-task.command.js';
import { RetractedTasks } from './commands/retracted-tasks.js';
import { CancelWaitingCommand } from './commands/cancel-waiting.command.js';
import { RetryFailedCommand } from './commands/retry-failed.command.js';
import { AfterCommitOutbox } from './commands/after-commit.outbox.js';
import { CreateWorkflowCommand } from './commands/create-workflow.command.js';
import { WorkflowRepository } from './store/workflow.repository.js';
import { EnqueueInTransactionCommand } from './commands/enqueue-in-transaction.command.js';
import { EnqueueTaskCommand } from './commands/enqueue-task.command.js';
import { FindTasksQuery } from './commands/find-tasks.query.js';
import { WaitForTaskQuery } from './commands/wait-for-task.query.js';
import { PurgeFinishedCommand } from './commands/purge-finished.command.js';
import { RecountTasksCommand } from './commands/recount-tasks.command.js';
import { RetryTaskCommand } from './commands/retry-task.command.js';
import type { TasksModuleOptions } from './interfaces/tasks-module-options.interface.js';
import { TaskEventBus } from './events/task-event.bus.js';
import { ProbeServer } from './health/probe.server.js';
import { TasksHealth } from './health/tasks-health.js';
import { TasksMetrics } from './metrics/tasks-metrics.js';
import { TaskCancellationBus } from './queue/task-cancellation.bus.js';
import { CancelMarks } from './queue/cancel-marks.js';
import { TaskStatsQuery } from './stats/task-stats.query.js';
import { TaskStatsRepository } from './store/task-stats.repository.js';
import { TaskJobs } from './queue/task-jobs.js';
import { TaskQueues } from './queue/task-queues.js';
import { TaskSchedules } from './schedules/task-schedules.js';
import { BackgroundTaskSubscriber } from './store/background-task.subscriber.js';
import { DatabaseHealth } from './store/database-health.js';
import { PacketLimitCheck } from './health/packet-limit.check.js';
import { TaskDeletes } from './store/task-deletes.js';
import { TaskRepository } from './store/task.repository.js';
import { WatchedRows } from './store/watched-rows.js';
import { OneTripTransactions } from './store/one-trip-transactions.js';
import { TaskStateWriter } from './store/task-state.writer.js';
import { tasksDataSourceWiring } from './store/tasks-connection.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import { TasksExplorer } from './tasks.explorer.js';
import { TasksMetadataAccessor } from './tasks-metadata.accessor.js';
import {
  ConfigurableTasksModule,
  DEFAULT_TASKS_EXTRAS,
  TASKS_ASYNC_OPTIONS_TYPE,
  TASKS_MODULE_OPTIONS,
  TASKS_OPTIONS,
  TASKS_OPTIONS_TYPE,
  TASKS_ROLE,
  type TasksModuleExtras,
} from './tasks.module-definition.js';
import { roleFromEnvironment } from './tasks.environment.js';
import { resolveTasksOptions } from './tasks.options.js';
import { TasksService } from './tasks.service.js';
import { TaskReconciler } from './worker/task.reconciler.js';
import { TaskRunner } from './worker/task.runner.js';
import { TaskWorkersHost } from './worker/task-workers.host.js';
import { CancelledAttemptsSweep } from './worker/cancelled-attempts.sweep.js';
import { MaintenanceWorker } from './worker/maintenance.worker.js';

const resolvedOptionsProvider: Provider = {
  provide: TASKS_OPTIONS,
  useFactory: (options: TasksModuleOptions) => resolveTasksOptions(options),
  inject: [TASKS_MODULE_OPTIONS],
};

/** Discovery, store, queue, commands, worker, schedules and operations: every provider of the module, by layer. */
const PROVIDERS: Provider[] = [
  resolvedOptionsProvider,
  TasksMetadataAccessor, TaskHandlerRegistry, TasksExplorer,
  TaskRepository, OneTripTransactions, TaskDeletes, TaskStateWriter, DatabaseHealth, PacketLimitCheck, BackgroundTaskSubscriber, WatchedRows,
  TaskQueues, TaskJobs, TaskCancellationBus, CancelMarks,
  EnqueueTaskCommand, RetractedTasks, EnqueueInTransactionCommand, AfterCommitOutbox, CreateWorkflowCommand, WorkflowRepository, FindTasksQuery, WaitForTaskQuery, CancelTaskCommand, DeleteTaskCommand, CancelWaitingCommand, RetryTaskCommand, RetryFailedCommand, PurgeFinishedCommand, RecountTasksCommand,
  TaskRunner, TaskWorkersHost, CancelledAttemptsSweep, TaskReconciler, MaintenanceWorker,
  TaskSchedules, SwaggerDocumenter,
  TaskStatsRepository, TaskStatsQuery, TaskEventBus, TasksMetrics, TasksHealth, ProbeServer,
  TasksService,
];

/**
 * Durable background tasks: import `TasksModule.forRoot(options)` (or `forRootAsync`) once,
 * next to a TypeORM data source that includes the `BackgroundTask` entity.
 */
@Module({
  imports: [DiscoveryModule, TerminusModule.forRoot({ logger: false })],
  providers: PROVIDERS,
  exports: [TasksService],
})
export class TasksModule extends ConfigurableTasksModule {
  static override forRoot(options: typeof TASKS_OPTIONS_TYPE): DynamicModule {
    return withExtras(super.forRoot(options), options);
  }

  static override forRootAsync(options: typeof TASKS_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withExtras(super.forRootAsync(options), options);
  }
}

/**
 * Mounts the controllers (with the host's guards) unless the process is worker-only or declines
 * them; tells the workers the role (the `role` extra, else `TASKS_ROLE`, else `all`); points the
 * store at the data source the `dataSource` extra names.
 */
function withExtras(definition: DynamicModule, extras: TasksModuleExtras): DynamicModule {
  const { routePrefix, guards, controller, healthPath, metricsPath, dashboardPath, dataSource } = withDefaults(extras);
  const role = extras.role ?? roleFromEnvironment() ?? DEFAULT_TASKS_EXTRAS.role;
  const store = tasksDataSourceWiring(dataSource);
  return {
    ...definition,
    imports: [...(definition.imports ?? []), ...store.imports],
    controllers: role === 'worker' || !controller ? [] : createTasksControllers({ routePrefix, healthPath, metricsPath, dashboardPath }, guards),
    providers: [...(definition.providers ?? []), ...store.providers, { provide: TASKS_ROLE, useValue: role }],
  };
}

/** The extras, each one not given, or given as undefined (`routePrefix: process.env.UNSET`), at its default. */
function withDefaults(extras: TasksModuleExtras): Required<TasksModuleExtras> {
  const given = Object.fromEntries(Object.entries(extras).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_TASKS_EXTRAS, ...given };
}
