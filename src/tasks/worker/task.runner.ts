import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { classifyError } from '../failures/error-classifier.js';
import { retryDelayMs } from '../failures/retry-policy.js';
import { NonRetryableError, TaskFailure, TaskTimeoutError } from '../failures/task-failure.errors.js';
import { describeError, toJsonValue } from './attempt-values.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { ProgressReporter } from './progress-reporter.js';
import { DatabaseHealth, isDatabaseUnavailable } from '../store/database-health.js';
import type { TaskJobData } from '../queue/task-job.js';
import { TaskHandlerRegistry, type RegisteredTaskHandler } from '../task-handler.registry.js';
import { TaskStateWriter, type AttemptGuard } from '../store/task-state.writer.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { TasksMetrics } from '../metrics/tasks-metrics.js';

/**
 * Runs one BullMQ job: marks the row running, calls the handler with `(params, context)`,
 * and writes the outcome. Every write is a compare-and-set, so an attempt whose task was
 * cancelled meanwhile neither runs nor overwrites `cancelled` with its result.
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger(TaskRunner.name);
  /** Attempts running in this process, by task id. */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly registry: TaskHandlerRegistry,
    private readonly writer: TaskStateWriter,
    private readonly health: DatabaseHealth,
    private readonly metrics: TasksMetrics,
  ) {}

  async run(job: Job<TaskJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<null> {
    const attempt = this.attempt(job, token, signal);
    this.running.set(job.id!, attempt);
    try {
      return await attempt;
    } finally {
      this.running.delete(job.id!);
    }
  }

  /** Ids of the tasks whose handlers run in this process now. */
  runningTaskIds(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when every attempt running now has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private async attempt(job: Job<TaskJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<null> {
    const taskId = job.id!;
    // This attempt's writes apply only while the row holds its token: should the worker lose
    // the job's lock and BullMQ start it elsewhere, this attempt's late writes change nothing.
    const guard = { attemptToken: randomBytes(8).toString('hex') };
    if (!(await this.markRunning(job, token, guard.attemptToken))) {
      // Cancelled (or finished) before this attempt began: the handler never starts.
      this.logger.debug(`Task ${taskId} is no longer runnable; job ${job.name} skipped`);
      return null;
    }
    const handler = this.registry.find(job.name);
    const progress = new ProgressReporter(
      (percent, message) => this.writeProgress(job, guard.attemptToken, percent, message),
      this.options.progressIntervalMs,
      (error) => this.logger.warn(`Progress of task ${taskId} not written: ${error.message}`),
    );
    try {
      if (!handler) throw new NonRetryableError(`No handler for task "${job.name}" in this worker`);
      const startedAt = performance.now();
      const result = await this.invokeWithinLimit(handler, job, signal, progress).catch((error: unknown) => {
        this.metrics.handlerFinished(job.name, 'failed', (performance.now() - startedAt) / 1000);
        throw error;
      });
      this.metrics.handlerFinished(job.name, 'completed', (performance.now() - startedAt) / 1000);
      await progress.close();
      const json = toJsonValue(result);
      await this.health.durably(() => this.writer.complete(taskId, json, guard));
    } catch (error) {
      await progress.close();
      if (signal?.aborted && signal.reason === SHUTDOWN_REASON) await this.handBack(job, token, guard);
      await this.recordFailure(job, handler, error, guard);
    }
    // The result lives in MySQL; Redis keeps nothing it would have to hold twice.
    return null;
  }

  /**
   * Calls the handler under its time limit (the enqueue's, else the handler's). At the limit
   * the handler's signal fires with a {@link TaskTimeoutError}; a handler that has not settled
   * `timeoutGraceMs` later is left behind (JavaScript cannot stop it) and the attempt fails as
   * timed out. A handler that throws after the limit fired has timed out too.
   */
  private async invokeWithinLimit(
    handler: RegisteredTaskHandler,
    job: Job<TaskJobData>,
    signal: AbortSignal | undefined,
    progress: ProgressReporter,
  ): Promise<unknown> {
    const timeoutSeconds = job.data.timeoutSeconds ?? handler.timeoutSeconds;
    if (!timeoutSeconds) return handler.invoke(job.data.params ?? {}, this.contextFor(job, signal ?? new AbortController().signal, progress));
    const limit = new AbortController();
    const combined = signal ? AbortSignal.any([signal, limit.signal]) : limit.signal;
    const running = handler.invoke(job.data.params ?? {}, this.contextFor(job, combined, progress));
    running.catch(() => undefined); // a handler left behind may still reject
    let limitTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      limitTimer = setTimeout(() => {
        const error = new TaskTimeoutError(`Timed out after ${timeoutSeconds} s`);
        limit.abort(error);
        graceTimer = setTimeout(() => reject(error), this.options.timeoutGraceMs);
      }, timeoutSeconds * 1000);
    });
    try {
      return await Promise.race([running, timedOut]);
    } catch (error) {
      if (limit.signal.aborted && !signal?.aborted) throw limit.signal.reason;
      throw error;
    } finally {
      clearTimeout(limitTimer);
      clearTimeout(graceTimer);
    }
  }

  private async writeProgress(job: Job<TaskJobData>, attemptToken: string, percent: number, message: string | null): Promise<void> {
    await Promise.all([
      this.writer.progress(job.id!, attemptToken, percent, message, { taskType: this.registry.find(job.name)?.queue.taskType ?? '', taskName: job.name }),
      // For BullMQ's own tooling (QueueEvents, dashboards); MySQL is the record.
      job.updateProgress(message === null ? { percent } : { percent, message }),
    ]);
  }

  /**
   * Writes `running`. When MySQL cannot be reached the job goes back to the queue without
   * counting an attempt (the handler has not started), and the workers pause until it answers.
   */
  private async markRunning(job: Job<TaskJobData>, token: string | undefined, attemptToken: string): Promise<boolean> {
    try {
      return await this.writer.start(job.id!, attemptToken);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      void this.health.waitUntilAvailable();
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
  }

  /**
   * The worker is shutting down and aborted this attempt: the row goes back to `pending`
   * and the job to the queue, neither counting a failed attempt.
   */
  private async handBack(job: Job<TaskJobData>, token: string | undefined, guard: AttemptGuard): Promise<never> {
    await this.health.durably(() => this.writer.requeue(job.id!, undefined, guard));
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }

  /**
   * Writes `pending` (a retry follows) or `failed`, then tells BullMQ the same. The failure's
   * class picks the strategy (the handler's, over the module's): whether to retry at all and
   * how long to wait, which BullMQ applies through the workers' backoff strategy.
   */
  private async recordFailure(
    job: Job<TaskJobData>,
    handler: RegisteredTaskHandler | undefined,
    error: unknown,
    guard: AttemptGuard,
  ): Promise<never> {
    const taskId = job.id!;
    const message = describeError(error);
    const errorType = classifyError(error);
    const strategy = (handler?.retryStrategies ?? this.options.retryStrategies)[errorType];
    const attemptsLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    const retryable = !(error instanceof UnrecoverableError) && (error instanceof TaskFailure ? error.retryable ?? strategy.retry : strategy.retry);
    if (attemptsLeft && retryable) {
      const attempt = attemptNumber(job);
      const delayMs = retryDelayMs(strategy, attempt);
      const retried = await this.health.durably(() => this.writer.scheduleRetry(taskId, { message, errorType, retryDelayMs: delayMs }, attempt, guard));
      if (retried || (await this.retryWasWritten(taskId, attempt))) throw new ScheduledRetry(message, delayMs);
      // The row left `running` meanwhile (cancelled), or another attempt took it over: no further attempt from here.
      throw new UnrecoverableError(message);
    }
    await this.health.durably(() => this.writer.fail(taskId, { message, errorType }, guard));
    throw new UnrecoverableError(message);
  }

  /**
   * A retry write can commit and still fail on the client (MySQL died before it answered);
   * the write that was then tried again is refused. The row tells which happened.
   */
  private async retryWasWritten(taskId: string, attempt: number): Promise<boolean> {
    const row = await this.health.durably(() => this.writer.read(taskId));
    return row?.status === TaskStatus.Pending && row.retryCount === attempt;
  }

  private contextFor(job: Job<TaskJobData>, signal: AbortSignal, progress: ProgressReporter): TaskContext {
    return {
      taskId: job.id!,
      taskName: job.name,
      attempt: attemptNumber(job),
      maxAttempts: (job.data.priorAttempts ?? 0) + (job.opts.attempts ?? 1),
      signal,
      progress: (percent: number, message?: string) => progress.report(percent, message),
      previousResult: job.data.input,
    };
  }
}

/** 1 for a task's first attempt, counting attempts made by earlier jobs of the same task. */
function attemptNumber(job: Job<TaskJobData>): number {
  return (job.data.priorAttempts ?? 0) + job.attemptsMade + 1;
}

/**
 * Thrown to BullMQ for a failed attempt that is retried: carries the delay the runner chose,
 * which the workers' backoff strategy hands back to BullMQ.
 */
export class ScheduledRetry extends Error {
  constructor(
    message: string,
    readonly retryDelayMs: number,
  ) {
    super(message);
    this.name = 'ScheduledRetry';
  }
}

/** The abort reason the workers use when the process shuts down (not a cancel). */
export const SHUTDOWN_REASON = 'worker shutdown';

