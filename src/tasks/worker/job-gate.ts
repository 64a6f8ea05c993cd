import { Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import type { TasksMetrics } from '../metrics/tasks-metrics.js';
import type { TaskJobData } from '../queue/task-job.js';
import type { DatabaseHealth } from '../store/database-health.js';
import type { TaskStateWriter } from '../store/task-state.writer.js';
import type { TaskHandlerRegistry } from '../task-handler.registry.js';

/** How much later a job handed back for want of its handler is tried again (by whichever worker takes it). */
export const MISSING_HANDLER_RETRY_MS = 5000;

/**
 * The expiry an attempt beginning `now` would begin after, or undefined when it may begin.
 * Checked when a worker picks the job up, before anything else of the attempt: a first
 * attempt, a retry and a redelivery alike. An attempt already running is not stopped by it
 * (its time limit is what stops it).
 */
export function passedExpiry(data: TaskJobData, now = Date.now()): Date | undefined {
  return data.expiresAt !== undefined && now >= data.expiresAt ? new Date(data.expiresAt) : undefined;
}

/** The `error_message` of a task cancelled because it expired. */
export function expiredMessage(expiresAt: Date): string {
  return `expired: not started by ${expiresAt.toISOString()}`;
}

/**
 * True while a job whose handler this process lacks may still find a worker that has it: it
 * has been due for less than `graceMs` (a rolling deploy that added the task, the workers with
 * its handler not all up yet). Due: created, plus the delay it was enqueued with.
 */
export function mayAwaitItsHandler(job: Pick<Job, 'timestamp' | 'opts'>, graceMs: number, now = Date.now()): boolean {
  return now - (job.timestamp + (job.opts.delay ?? 0)) < graceMs;
}

/**
 * What a worker checks of a job before an attempt begins: an expired task is cancelled and never
 * started; a task this process has no handler for goes back to its queue while another worker
 * may have one (after `workers.missingHandlerGraceMs` the attempt runs and fails, naming it).
 */
export class JobGate {
  private readonly logger = new Logger(JobGate.name);

  constructor(
    private readonly options: ResolvedTasksOptions,
    private readonly registry: TaskHandlerRegistry,
    private readonly writer: TaskStateWriter,
    private readonly health: DatabaseHealth,
    private readonly metrics: TasksMetrics,
  ) {}

  /**
   * `true`, at once, when the attempt may begin (nearly every job: no promise on a job's path);
   * otherwise a promise of false once the job is settled (expired), or rejected with
   * DelayedError once it was handed back.
   */
  admits(job: Job<TaskJobData>, token: string | undefined): true | Promise<boolean> {
    const expiry = passedExpiry(job.data);
    if (expiry) return this.cancelExpired(job, expiry);
    if (!this.registry.find(job.name) && mayAwaitItsHandler(job, this.options.workers.missingHandlerGraceMs)) return this.handBack(job, token);
    return true;
  }

  private async cancelExpired(job: Job<TaskJobData>, expiry: Date): Promise<boolean> {
    if (await this.health.durably(() => this.writer.cancel(job.id!, expiredMessage(expiry)))) this.metrics.expired(job.name);
    this.logger.debug(`Task ${job.id} expired at ${expiry.toISOString()}; job ${job.name} skipped`);
    return false;
  }

  /** The row stays `pending`; no attempt is counted. */
  private async handBack(job: Job<TaskJobData>, token: string | undefined): Promise<never> {
    this.metrics.handlerMissing(job.name);
    await job.moveToDelayed(Date.now() + MISSING_HANDLER_RETRY_MS, token);
    throw new DelayedError();
  }
}
