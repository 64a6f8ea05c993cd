import { Injectable } from '@nestjs/common';
import type { DataSource, EntitySubscriberInterface, InsertEvent, UpdateEvent } from 'typeorm';
import { InjectTasksDataSource } from './tasks-connection.js';
import { BackgroundTask } from './background-task.entity.js';
import { IllegalTaskTransitionError } from '../errors/tasks.errors.js';
import { isAllowedTransition, isFinalStatus, TaskStatus } from '../lifecycle/task-status.js';

/** The database clock, so every process stamps times from one clock. */
const NOW = (): string => 'CURRENT_TIMESTAMP(3)';

/**
 * Guards the lifecycle for every write made through TypeORM and stamps the timestamps:
 * `started_at` when a task starts running, `completed_at` when it reaches a final state.
 *
 * When TypeORM knows the row's current status (an entity loaded then saved) a change that
 * {@link isAllowedTransition} refuses throws. QueryBuilder updates carry no old row; the
 * library's writer makes those safe with its compare-and-set WHERE clause.
 */
@Injectable()
export class BackgroundTaskSubscriber implements EntitySubscriberInterface<BackgroundTask> {
  constructor(@InjectTasksDataSource() dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  listenTo(): typeof BackgroundTask {
    return BackgroundTask;
  }

  beforeInsert(event: InsertEvent<BackgroundTask>): void {
    const status = event.entity.status ?? TaskStatus.Pending;
    if (status !== TaskStatus.Pending) {
      throw new IllegalTaskTransitionError(event.entity.taskId, TaskStatus.Pending, status);
    }
  }

  beforeUpdate(event: UpdateEvent<BackgroundTask>): void {
    const values = event.entity as Partial<Record<keyof BackgroundTask, unknown>> | undefined;
    const to = values?.status as TaskStatus | undefined;
    if (!values || !to) return;
    const from = event.databaseEntity?.status;
    if (from && !isAllowedTransition(from, to)) {
      throw new IllegalTaskTransitionError(event.databaseEntity.taskId, from, to);
    }
    const loaded = event.databaseEntity !== undefined;
    if (to === TaskStatus.Running && from !== TaskStatus.Running) values.startedAt = loaded ? new Date() : NOW;
    if (isFinalStatus(to) && from !== to) values.completedAt = loaded ? new Date() : NOW;
  }
}
