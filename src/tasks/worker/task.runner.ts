import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { NonRetryableError } from '../failures/task-failure.errors.js';
import { toJsonValue } from './attempt-values.js';
import { AttemptFailures } from './attempt-failures.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { ProgressReporter } from './progress-reporter.js';
import { DatabaseHealth, isDatabaseUnavailable } from '../store/database-health.js';
import type { TaskJobData } from '../queue/task-job.js';
import { TaskHandlerRegistry, type RegisteredTaskHandler } from '../task-handler.registry.js';
import { TaskStateWriter, type FreshTask } from '../store/task-state.writer.js';
import type { WorkerAttempt } from '../lifecycle/transition-batch.js';
import { CancelMarks } from '../queue/cancel-marks.js';
import { AttemptStart } from './attempt-start.js';
import { startsUnasked } from './unasked-start.js';
import { withTimeLimit } from './time-limit.js';
import { taskContextOf } from './task-context.js';
import { CANCEL_REASON, LOCK_LOST_REASON, SHUTDOWN_REASON, type AttemptAbort } from './attempt-abort.js';
import { RunningAttempts } from './running-attempts.js';
import { CompletionWrites, freshTaskOf } from './completion-writes.js';
import { TasksMetrics } from '../metrics/tasks-metrics.js';
import { JobGate } from './job-gate.js';

/**
 * Runs one BullMQ job: calls the handler with `(params, context)` and writes `running` and the
 * outcome (one write when the handler is quicker than `runningWriteDelayMs`, see AttemptStart;
 * a success is written behind, see CompletionWrites). Every write is a compare-and-set, so an
 * attempt whose task was cancelled meanwhile neither runs nor overwrites `cancelled` with its result.
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger(TaskRunner.name);
  private readonly running = new RunningAttempts();
  private readonly gate: JobGate;
  private readonly failures: AttemptFailures;
  private readonly completions = new CompletionWrites((taskId, error) =>
    this.logger.warn(`Completion of task ${taskId} not written (the reconciler will record it): ${error.message}`),
  );

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly registry: TaskHandlerRegistry,
    private readonly writer: TaskStateWriter,
    private readonly health: DatabaseHealth,
    private readonly metrics: TasksMetrics,
    private readonly marks: CancelMarks,
  ) {
    this.gate = new JobGate(options, registry, writer, health, metrics);
    this.failures = new AttemptFailures(options, writer, health);
  }

  /** Resolves with the job's return value: the handler's result (null when it did not complete). */
  run(job: Job<TaskJobData>, token: string | undefined): Promise<unknown> {
    return this.running.run({ taskId: job.id!, processedOn: job.processedOn, lockToken: token }, (abort) => this.attempt(job, token, abort));
  }

  /** The attempts running in this process, with their lock tokens (see watchLostLocks). */
  get attempts(): RunningAttempts {
    return this.running;
  }

  /** Aborts the attempt at `taskId` if this process runs it (true), or that fetch's attempt as it begins. */
  abort(taskId: string, reason: unknown, processedOn?: number): boolean {
    return this.running.abort(taskId, reason, processedOn);
  }

  abortAll(reason: unknown): void {
    this.running.abortAll(reason);
  }

  /** Ids of the tasks whose handlers run in this process now. */
  runningTaskIds(): string[] {
    return this.running.taskIds();
  }

  /** Ids of the tasks whose handlers run in this process now and were not aborted. */
  unabortedTaskIds(): string[] {
    return this.running.unabortedTaskIds();
  }

  /** Resolves when every attempt running now has settled and its completion is written. */
  async settled(): Promise<void> {
    await this.running.settled();
    await this.completions.settled();
  }

  private async attempt(job: Job<TaskJobData>, token: string | undefined, abort: AttemptAbort): Promise<unknown> {
    // Expired (cancelled, never started), or handed back for a worker that has the handler: a promise only then.
    const admitted = this.gate.admits(job, token);
    if (admitted !== true && !(await admitted)) return null;
    const start = await this.begin(job, token);
    if (!start) {
      // Cancelled (or finished) before this attempt began: the handler never starts.
      this.logger.debug(`Task ${job.id} is no longer runnable; job ${job.name} skipped`);
      return null;
    }
    const handler = this.registry.find(job.name);
    const progress = new ProgressReporter(
      (percent, message) => this.writeProgress(job, start, percent, message),
      this.options.progressIntervalMs,
      (error) => this.logger.warn(`Progress of task ${job.id} not written: ${error.message}`),
    );
    try {
      if (!handler) throw new NonRetryableError(`No handler for task "${job.name}" in this worker`);
      // A cancel that aborted the job before this point: the handler does not start.
      if (abort.aborted) throw abort.reason;
      const startedAt = performance.now();
      const result = await this.invokeWithinLimit(handler, job, abort, progress).catch((error: unknown) => {
        this.metrics.handlerFinished(job.name, 'failed', (performance.now() - startedAt) / 1000);
        throw error;
      });
      this.metrics.handlerFinished(job.name, 'completed', (performance.now() - startedAt) / 1000);
      const { value: json, size } = toJsonValue(result, this.options.maxResultBytes);
      const guard = await start.end();
      await progress.close();
      if (!guard) return null;
      await this.completeBehind(job.id!, json, size, guard, freshTaskOf(job, handler.queue.taskType, guard));
      // The job's return value: what the reconciler records if this process dies before the row is written.
      return json;
    } catch (error) {
      const guard = await start.end();
      await progress.close();
      await this.stopIfInterrupted(job, token, abort, guard);
      return this.failures.record(job, handler, error, guard);
    }
  }

  /**
   * Begins an attempt: at once, with `running` written later (a short handler then costs one
   * write), when this is the job's first delivery and no cancel can be under way unseen (see
   * {@link startsUnasked}, else the cancel marks say); else after writing `running`, which the
   * row refuses if the task was cancelled or finished. Null when the handler must not start.
   */
  private async begin(job: Job<TaskJobData>, token: string | undefined): Promise<AttemptStart | null> {
    const delayMs = this.options.runningWriteDelayMs;
    // A job handed out again (its worker stalled or died) may have finished already: MySQL says.
    const firstDelivery = job.stalledCounter === 0 && job.attemptsStarted === job.attemptsMade + 1;
    const mayStart = () => startsUnasked(job, this.options.cancelWaitMs) || this.marks.mayStartUnwritten({ taskId: job.id!, workflowId: job.data.workflowId }, job.timestamp);
    if (delayMs > 0 && firstDelivery && (await mayStart())) {
      const write = (attemptToken: string, startedAt: number) => this.health.durably(() => this.writer.start(job.id!, attemptToken, startedAt));
      // The row refused `running` (cancelled meanwhile): this attempt stops as a cancel stops it.
      return AttemptStart.deferred(write, delayMs, () => this.running.abort(job.id!, CANCEL_REASON));
    }
    const start = AttemptStart.written();
    return (await this.markRunning(job, token, start.token)) ? start : null;
  }

  /**
   * Hands a success to {@link CompletionWrites}. The write's closure is made here rather than in
   * `attempt`: a closure keeps its whole scope alive, and `attempt`'s holds the job (its params
   * and all) and the handler's context, which a completion waiting for its batch must not.
   */
  private completeBehind(taskId: string, json: unknown, size: number, guard: WorkerAttempt, fresh: FreshTask | undefined): Promise<void> {
    return this.completions.submit(taskId, () => this.health.durably(() => this.writer.complete(taskId, json, guard, fresh, size)));
  }

  /** Calls the handler under its time limit: the enqueue's, else the handler's (see withTimeLimit). */
  private invokeWithinLimit(
    handler: RegisteredTaskHandler,
    job: Job<TaskJobData>,
    abort: AttemptAbort,
    progress: ProgressReporter,
  ): Promise<unknown> {
    const invoke = () => handler.invoke(job.data.params ?? {}, taskContextOf(job, abort, progress));
    return withTimeLimit(invoke, abort, job.data.timeoutSeconds ?? handler.timeoutSeconds, this.options.timeoutGraceMs);
  }

  /** Writes a progress report once the attempt's `running` is written; drops it if the attempt ended first. */
  private async writeProgress(job: Job<TaskJobData>, start: AttemptStart, percent: number, message: string | null): Promise<void> {
    if (!(await start.whenRunning())) return;
    await Promise.all([
      this.writer.progress(job.id!, start.token, percent, message, { taskType: this.registry.find(job.name)?.queue.taskType ?? '', taskName: job.name }),
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
   * Ends an attempt the worker aborted, not its handler's failure: at a shutdown the row goes
   * back to `pending` (it still is when its `running` was never written) and the job to the
   * queue, neither counting a failed attempt; after a lost lock (see watchLostLocks)
   * the job and the row are another attempt's: no outcome is written. Returns for other aborts.
   */
  private async stopIfInterrupted(job: Job<TaskJobData>, token: string | undefined, abort: AttemptAbort, guard: WorkerAttempt | null): Promise<void> {
    if (abort.reason === LOCK_LOST_REASON) throw new DelayedError(`Task ${job.id}: this worker lost the job's lock`);
    if (abort.reason !== SHUTDOWN_REASON) return;
    if (guard && guard.startsAt === undefined) await this.health.durably(() => this.writer.requeue(job.id!, undefined, guard));
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }
}
