import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { TaskHandlerRegistry } from '../task-handler.registry.js';
import { TaskQueues } from '../queue/task-queues.js';
import { TASKS_OPTIONS, TASKS_ROLE, type TasksRole } from '../tasks.module-definition.js';
import type { ResolvedTasksOptions, TaskScheduleOptions } from '../interfaces/tasks-module-options.interface.js';
import { InvalidTasksOptionsError } from '../errors/bootstrap.errors.js';

/** BullMQ job names on the internal queue. */
export const PERIODIC_JOB = 'periodic-task';
export const RETENTION_JOB = 'retention-purge';
/** Job scheduler ids: one per periodic task, and the retention cleanup. */
const PERIODIC_PREFIX = 'periodic:';
const RETENTION_SCHEDULER = 'retention';

/** A periodic task and when it runs next. */
export interface TaskScheduleView extends TaskScheduleOptions {
  /** The next run, or null when no worker process has registered the schedule yet. */
  nextRunAt: Date | null;
}

/**
 * Periodic tasks on BullMQ job schedulers. Each schedule (module option or
 * `@TaskHandler(name, { schedule })`) is a job scheduler on the internal queue; every time it
 * fires, a worker enqueues the task like any other (see MaintenanceWorker), so each run
 * is a row. Worker processes register the schedulers at bootstrap (an upsert, so many
 * processes agree) and remove those no longer declared; the retention cleanup is one more.
 */
@Injectable()
export class TaskSchedules implements OnApplicationBootstrap {
  private readonly logger = new Logger(TaskSchedules.name);

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    @Inject(TASKS_ROLE) private readonly role: TasksRole,
    private readonly registry: TaskHandlerRegistry,
    private readonly queues: TaskQueues,
  ) {}

  /** Every declared schedule: the module's, then the handlers'. */
  declared(): TaskScheduleOptions[] {
    return [...this.options.schedules, ...this.registry.all().flatMap((handler) => (handler.schedule ? [handler.schedule] : []))];
  }

  find(name: string): TaskScheduleOptions | undefined {
    return this.declared().find((schedule) => schedule.name === name);
  }

  async onApplicationBootstrap(): Promise<void> {
    const schedules = this.declared();
    const names = schedules.map((schedule) => schedule.name);
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) throw new InvalidTasksOptionsError(`schedule "${twice}" is declared twice`);
    const unknown = schedules.find((schedule) => !this.registry.find(schedule.taskName));
    if (unknown) throw new InvalidTasksOptionsError(`schedule "${unknown.name}": no @TaskHandler registers "${unknown.taskName}"`);
    if (this.role === 'api') return;
    const queue = this.queues.internal();
    for (const schedule of schedules) {
      await queue.upsertJobScheduler(
        PERIODIC_PREFIX + schedule.name,
        schedule.cron ? { pattern: schedule.cron, tz: schedule.tz ?? 'UTC' } : { every: schedule.everyMs! },
        { name: PERIODIC_JOB, data: { schedule: schedule.name }, opts: DISPATCH_JOB_OPTIONS },
      );
    }
    for (const existing of await queue.getJobSchedulers(0, -1)) {
      const id = existing.id ?? existing.key;
      if (id.startsWith(PERIODIC_PREFIX) && !names.includes(id.slice(PERIODIC_PREFIX.length))) {
        await queue.removeJobScheduler(id);
        this.logger.log(`Schedule ${id.slice(PERIODIC_PREFIX.length)} is no longer declared; removed`);
      }
    }
    const { finishedMaxAgeMs, intervalMs } = this.options.retention;
    if (finishedMaxAgeMs > 0) {
      await queue.upsertJobScheduler(RETENTION_SCHEDULER, { every: intervalMs }, { name: RETENTION_JOB, data: {}, opts: DISPATCH_JOB_OPTIONS });
    } else {
      await queue.removeJobScheduler(RETENTION_SCHEDULER);
    }
  }

  /** The declared schedules with their next run, by name. */
  async list(): Promise<TaskScheduleView[]> {
    const schedulers = await this.queues.internal().getJobSchedulers(0, -1, true);
    const next = new Map(schedulers.map((scheduler) => [scheduler.id ?? scheduler.key, scheduler.next]));
    return this.declared()
      .map((schedule) => {
        const at = next.get(PERIODIC_PREFIX + schedule.name);
        return { ...schedule, nextRunAt: at ? new Date(at) : null };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** Internal jobs are retried a few times (MySQL may be away) and not kept once done. */
const DISPATCH_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: true,
  removeOnFail: { count: 100 },
};
