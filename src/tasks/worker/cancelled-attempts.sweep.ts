import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { isDatabaseUnavailable } from '../store/database-health.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { TaskRepository } from '../store/task.repository.js';
import { TASKS_OPTIONS, TASKS_ROLE, type TasksRole } from '../tasks.module-definition.js';
import { CANCEL_REASON } from './attempt-abort.js';
import { TaskRunner } from './task.runner.js';

/**
 * Aborts the handlers of this process whose tasks MySQL says are cancelled. A cancel reaches a
 * handler running in another process through the cancellation bus (BullMQ's Relay, in Redis);
 * when Redis loses its data (a restart without persistence), a cancel published before the
 * Relay has registered this process again (its next heartbeat, up to 10 s later) reaches no
 * one, and the handler would run to its end. Every `workers.cancelCheckIntervalMs` this reads
 * which of the tasks running here are cancelled (one read by the unique index, none while
 * nothing runs) and aborts them as a cancel would.
 */
@Injectable()
export class CancelledAttemptsSweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CancelledAttemptsSweep.name);
  private timer?: NodeJS.Timeout;
  /** The pass under way: one at a time, as the reconciler's. */
  private pass?: Promise<string[]>;
  private stopped = false;

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    @Inject(TASKS_ROLE) private readonly role: TasksRole,
    private readonly runner: TaskRunner,
    private readonly repository: TaskRepository,
  ) {}

  onApplicationBootstrap(): void {
    const intervalMs = this.options.workers.cancelCheckIntervalMs;
    if (this.role === 'api' || intervalMs <= 0) return;
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /**
   * One pass (a call during one gets that pass): aborts the attempts running here whose rows say
   * `cancelled`; returns their task ids. An attempt aborted already is not asked about again (a
   * handler that ignores its signal runs on, but is neither re-read nor re-reported every pass).
   */
  sweep(): Promise<string[]> {
    this.pass ??= this.sweepOnce().finally(() => (this.pass = undefined));
    return this.pass;
  }

  private async sweepOnce(): Promise<string[]> {
    const running = this.runner.unabortedTaskIds();
    if (running.length === 0) return [];
    try {
      const cancelled = await this.repository.withStatusAmong(running, TaskStatus.Cancelled);
      for (const taskId of cancelled) this.runner.abort(taskId, CANCEL_REASON);
      if (cancelled.length > 0) this.logger.warn(`Aborted ${cancelled.length} handler(s) of cancelled tasks whose cancel did not reach this process`);
      return cancelled;
    } catch (error) {
      // MySQL away: the next pass asks again (none follows a shutdown, whose pool closing may fail a pass).
      if (!isDatabaseUnavailable(error) && !this.stopped) this.logger.warn(`Cancelled tasks not checked: ${(error as Error).message}`);
      return [];
    }
  }
}
