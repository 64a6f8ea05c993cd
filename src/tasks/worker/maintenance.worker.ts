import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeRedis, createRedisConnection, WORKER_REDIS_OPTIONS } from '../queue/redis-connection.factory.js';
import { EnqueueTaskCommand } from '../commands/enqueue-task.command.js';
import { PurgeFinishedCommand } from '../commands/purge-finished.command.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { PERIODIC_JOB, RETENTION_JOB, TaskSchedules } from '../schedules/task-schedules.js';
import { INTERNAL_QUEUE, TASKS_OPTIONS, TASKS_ROLE, type TasksRole } from '../tasks.module-definition.js';
import { closeOrDrop, dropWorker } from '../queue/bounded-close.js';

/**
 * Runs the library's internal jobs in worker processes: when a periodic schedule fires, it
 * enqueues the task like any other, with the fired job's id as idempotency key (a
 * trigger delivered twice still makes one task); the retention job purges old finished rows.
 */
@Injectable()
export class MaintenanceWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MaintenanceWorker.name);
  private worker?: Worker;
  private connection?: Redis;

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    @Inject(TASKS_ROLE) private readonly role: TasksRole,
    private readonly enqueuer: EnqueueTaskCommand,
    private readonly schedules: TaskSchedules,
    private readonly retention: PurgeFinishedCommand,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.role === 'api') return;
    this.connection = createRedisConnection(this.options.redis, WORKER_REDIS_OPTIONS);
    this.worker = new Worker(INTERNAL_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.options.queuePrefix,
      concurrency: 2,
    });
    this.worker.on('error', (error) => this.logger.error(`Internal worker: ${error.message}`));
    await this.worker.waitUntilReady();
  }

  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (worker) await closeOrDrop(worker.close(), () => dropWorker(worker), 'The internal worker', this.logger);
    closeRedis(this.connection);
  }

  private async process(job: Job): Promise<unknown> {
    if (job.name === RETENTION_JOB) {
      const deleted = await this.retention.purge();
      if (deleted > 0) this.logger.log(`Retention: ${deleted} finished task(s) purged`);
      return { deleted };
    }
    if (job.name === PERIODIC_JOB) {
      const schedule = this.schedules.find((job.data as { schedule: string }).schedule);
      if (!schedule) return null; // removed from the code since the trigger was queued
      const task = await this.enqueuer.enqueue({
        taskName: schedule.taskName,
        params: schedule.params,
        priority: schedule.priority,
        expiresInSeconds: schedule.expiresInSeconds,
        idempotencyKey: `schedule:${job.id}`,
        // The previous run's singleton key, if it is still at work, absorbs this one.
        singletonKey: schedule.overlap === false ? `schedule:${schedule.name}` : undefined,
      });
      return { taskId: task.taskId };
    }
    return null;
  }
}
